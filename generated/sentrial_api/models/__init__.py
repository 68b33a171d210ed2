"""Contains all the data models used in inputs/outputs"""

from .batch_item_result import BatchItemResult
from .batch_request import BatchRequest
from .batch_response import BatchResponse
from .create_event_operation import CreateEventOperation
from .create_session_operation import CreateSessionOperation
from .diagnosis_comparison import DiagnosisComparison
from .diagnosis_comparison_steps_item import DiagnosisComparisonStepsItem
from .diagnosis_step import DiagnosisStep
from .error import Error
from .evaluation import Evaluation
from .evaluation_create import EvaluationCreate
from .evaluation_list import EvaluationList
from .evaluation_response import EvaluationResponse
from .evaluation_scores import EvaluationScores
from .event import Event
from .event_create import EventCreate
from .event_page import EventPage
from .event_type import EventType
from .experiment import Experiment
from .experiment_assignment import ExperimentAssignment
from .experiment_assignment_create import ExperimentAssignmentCreate
from .experiment_assignment_response import ExperimentAssignmentResponse
from .experiment_batch import ExperimentBatch
from .experiment_config import ExperimentConfig
from .experiment_create import ExperimentCreate
from .experiment_list import ExperimentList
from .experiment_production_result import ExperimentProductionResult
from .experiment_reset import ExperimentReset
from .experiment_response import ExperimentResponse
from .experiment_results import ExperimentResults
from .experiment_run import ExperimentRun
from .experiment_run_create import ExperimentRunCreate
from .experiment_run_outcome import ExperimentRunOutcome
from .experiment_run_response import ExperimentRunResponse
from .experiment_run_status_update import ExperimentRunStatusUpdate
from .experiment_run_update import ExperimentRunUpdate
from .experiment_session_source import ExperimentSessionSource
from .experiment_test_case import ExperimentTestCase
from .experiment_test_case_create import ExperimentTestCaseCreate
from .experiment_variant import ExperimentVariant
from .experiment_variant_create import ExperimentVariantCreate
from .experiment_variant_result import ExperimentVariantResult
from .export_trace_service_request import ExportTraceServiceRequest
from .export_trace_service_response import ExportTraceServiceResponse
from .export_trace_service_response_partial_success import (
    ExportTraceServiceResponsePartialSuccess,
)
from .get_session_diagnosis_format import GetSessionDiagnosisFormat
from .health import Health
from .json_object import JsonObject
from .otlp_status import OtlpStatus
from .pii_builtin_patterns import PiiBuiltinPatterns
from .pii_config import PiiConfig
from .pii_config_response import PiiConfigResponse
from .pii_custom_pattern import PiiCustomPattern
from .session import Session
from .session_create import SessionCreate
from .session_diagnosis import SessionDiagnosis
from .session_page import SessionPage
from .session_status_filter import SessionStatusFilter
from .session_status_update import SessionStatusUpdate
from .session_update import SessionUpdate
from .session_update_custom_metrics import SessionUpdateCustomMetrics
from .signal import Signal
from .signal_page import SignalPage
from .signal_type import SignalType
from .tool_error import ToolError
from .update_session_operation import UpdateSessionOperation

__all__ = (
    "BatchItemResult",
    "BatchRequest",
    "BatchResponse",
    "CreateEventOperation",
    "CreateSessionOperation",
    "DiagnosisComparison",
    "DiagnosisComparisonStepsItem",
    "DiagnosisStep",
    "Error",
    "Evaluation",
    "EvaluationCreate",
    "EvaluationList",
    "EvaluationResponse",
    "EvaluationScores",
    "Event",
    "EventCreate",
    "EventPage",
    "EventType",
    "Experiment",
    "ExperimentAssignment",
    "ExperimentAssignmentCreate",
    "ExperimentAssignmentResponse",
    "ExperimentBatch",
    "ExperimentConfig",
    "ExperimentCreate",
    "ExperimentList",
    "ExperimentProductionResult",
    "ExperimentReset",
    "ExperimentResponse",
    "ExperimentResults",
    "ExperimentRun",
    "ExperimentRunCreate",
    "ExperimentRunOutcome",
    "ExperimentRunResponse",
    "ExperimentRunStatusUpdate",
    "ExperimentRunUpdate",
    "ExperimentSessionSource",
    "ExperimentTestCase",
    "ExperimentTestCaseCreate",
    "ExperimentVariant",
    "ExperimentVariantCreate",
    "ExperimentVariantResult",
    "ExportTraceServiceRequest",
    "ExportTraceServiceResponse",
    "ExportTraceServiceResponsePartialSuccess",
    "GetSessionDiagnosisFormat",
    "Health",
    "JsonObject",
    "OtlpStatus",
    "PiiBuiltinPatterns",
    "PiiConfig",
    "PiiConfigResponse",
    "PiiCustomPattern",
    "Session",
    "SessionCreate",
    "SessionDiagnosis",
    "SessionPage",
    "SessionStatusFilter",
    "SessionStatusUpdate",
    "SessionUpdate",
    "SessionUpdateCustomMetrics",
    "Signal",
    "SignalPage",
    "SignalType",
    "ToolError",
    "UpdateSessionOperation",
)
