from enum import StrEnum


class ExperimentRunStatusUpdate(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"

    def __str__(self) -> str:
        return str(self.value)
