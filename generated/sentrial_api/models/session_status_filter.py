from enum import StrEnum


class SessionStatusFilter(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    FAILED = "failed"

    def __str__(self) -> str:
        return str(self.value)
