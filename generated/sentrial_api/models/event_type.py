from enum import StrEnum


class EventType(StrEnum):
    ERROR = "error"
    LLM_CALL = "llm_call"
    LLM_DECISION = "llm_decision"
    STATE_CHANGE = "state_change"
    TOOL_CALL = "tool_call"

    def __str__(self) -> str:
        return str(self.value)
