from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from parzen.v1 import experiment_pb2 as _experiment_pb2
from parzen.v1 import space_pb2 as _space_pb2
from parzen.v1 import trial_pb2 as _trial_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExperimentAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPERIMENT_ACTION_UNSPECIFIED: _ClassVar[ExperimentAction]
    EXPERIMENT_ACTION_PAUSE: _ClassVar[ExperimentAction]
    EXPERIMENT_ACTION_RESUME: _ClassVar[ExperimentAction]
    EXPERIMENT_ACTION_STOP: _ClassVar[ExperimentAction]

class ReportStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPORT_STATUS_UNSPECIFIED: _ClassVar[ReportStatus]
    REPORT_STATUS_OK: _ClassVar[ReportStatus]
    REPORT_STATUS_FAIL: _ClassVar[ReportStatus]
    REPORT_STATUS_PRUNED: _ClassVar[ReportStatus]
EXPERIMENT_ACTION_UNSPECIFIED: ExperimentAction
EXPERIMENT_ACTION_PAUSE: ExperimentAction
EXPERIMENT_ACTION_RESUME: ExperimentAction
EXPERIMENT_ACTION_STOP: ExperimentAction
REPORT_STATUS_UNSPECIFIED: ReportStatus
REPORT_STATUS_OK: ReportStatus
REPORT_STATUS_FAIL: ReportStatus
REPORT_STATUS_PRUNED: ReportStatus

class CreateExperimentRequest(_message.Message):
    __slots__ = ("experiment",)
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    experiment: _experiment_pb2.Experiment
    def __init__(self, experiment: _Optional[_Union[_experiment_pb2.Experiment, _Mapping]] = ...) -> None: ...

class CreateExperimentResponse(_message.Message):
    __slots__ = ("experiment", "created")
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    experiment: _experiment_pb2.Experiment
    created: bool
    def __init__(self, experiment: _Optional[_Union[_experiment_pb2.Experiment, _Mapping]] = ..., created: bool = ...) -> None: ...

class GetExperimentRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetExperimentResponse(_message.Message):
    __slots__ = ("experiment",)
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    experiment: _experiment_pb2.Experiment
    def __init__(self, experiment: _Optional[_Union[_experiment_pb2.Experiment, _Mapping]] = ...) -> None: ...

class ListExperimentsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListExperimentsResponse(_message.Message):
    __slots__ = ("experiments", "next_page_token")
    EXPERIMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    experiments: _containers.RepeatedCompositeFieldContainer[_experiment_pb2.Experiment]
    next_page_token: str
    def __init__(self, experiments: _Optional[_Iterable[_Union[_experiment_pb2.Experiment, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteExperimentRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteExperimentResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UpdateExperimentRequest(_message.Message):
    __slots__ = ("name", "action", "max_trials", "max_failed_trials", "goal", "deadline", "clear_max_trials", "clear_max_failed_trials", "clear_goal", "clear_deadline")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    MAX_TRIALS_FIELD_NUMBER: _ClassVar[int]
    MAX_FAILED_TRIALS_FIELD_NUMBER: _ClassVar[int]
    GOAL_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    CLEAR_MAX_TRIALS_FIELD_NUMBER: _ClassVar[int]
    CLEAR_MAX_FAILED_TRIALS_FIELD_NUMBER: _ClassVar[int]
    CLEAR_GOAL_FIELD_NUMBER: _ClassVar[int]
    CLEAR_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    name: str
    action: ExperimentAction
    max_trials: int
    max_failed_trials: int
    goal: float
    deadline: _timestamp_pb2.Timestamp
    clear_max_trials: bool
    clear_max_failed_trials: bool
    clear_goal: bool
    clear_deadline: bool
    def __init__(self, name: _Optional[str] = ..., action: _Optional[_Union[ExperimentAction, str]] = ..., max_trials: _Optional[int] = ..., max_failed_trials: _Optional[int] = ..., goal: _Optional[float] = ..., deadline: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., clear_max_trials: bool = ..., clear_max_failed_trials: bool = ..., clear_goal: bool = ..., clear_deadline: bool = ...) -> None: ...

class UpdateExperimentResponse(_message.Message):
    __slots__ = ("experiment",)
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    experiment: _experiment_pb2.Experiment
    def __init__(self, experiment: _Optional[_Union[_experiment_pb2.Experiment, _Mapping]] = ...) -> None: ...

class SuggestRequest(_message.Message):
    __slots__ = ("experiment", "count", "worker_id", "request_id")
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    experiment: str
    count: int
    worker_id: str
    request_id: str
    def __init__(self, experiment: _Optional[str] = ..., count: _Optional[int] = ..., worker_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class SuggestResponse(_message.Message):
    __slots__ = ("trials", "done", "done_reason", "retry_after")
    TRIALS_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    DONE_REASON_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_FIELD_NUMBER: _ClassVar[int]
    trials: _containers.RepeatedCompositeFieldContainer[_trial_pb2.Trial]
    done: bool
    done_reason: _experiment_pb2.CompletionReason
    retry_after: _duration_pb2.Duration
    def __init__(self, trials: _Optional[_Iterable[_Union[_trial_pb2.Trial, _Mapping]]] = ..., done: bool = ..., done_reason: _Optional[_Union[_experiment_pb2.CompletionReason, str]] = ..., retry_after: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ReportRequest(_message.Message):
    __slots__ = ("trial_id", "status", "loss", "metrics", "user_attrs", "fail_reason", "request_id", "suggest_next", "worker_id", "values", "constraints")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class UserAttrsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TRIAL_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    USER_ATTRS_FIELD_NUMBER: _ClassVar[int]
    FAIL_REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SUGGEST_NEXT_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    CONSTRAINTS_FIELD_NUMBER: _ClassVar[int]
    trial_id: int
    status: ReportStatus
    loss: float
    metrics: _containers.ScalarMap[str, float]
    user_attrs: _containers.ScalarMap[str, str]
    fail_reason: str
    request_id: str
    suggest_next: bool
    worker_id: str
    values: _containers.RepeatedScalarFieldContainer[float]
    constraints: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, trial_id: _Optional[int] = ..., status: _Optional[_Union[ReportStatus, str]] = ..., loss: _Optional[float] = ..., metrics: _Optional[_Mapping[str, float]] = ..., user_attrs: _Optional[_Mapping[str, str]] = ..., fail_reason: _Optional[str] = ..., request_id: _Optional[str] = ..., suggest_next: bool = ..., worker_id: _Optional[str] = ..., values: _Optional[_Iterable[float]] = ..., constraints: _Optional[_Iterable[float]] = ...) -> None: ...

class ReportResponse(_message.Message):
    __slots__ = ("trial", "next")
    TRIAL_FIELD_NUMBER: _ClassVar[int]
    NEXT_FIELD_NUMBER: _ClassVar[int]
    trial: _trial_pb2.Trial
    next: SuggestResponse
    def __init__(self, trial: _Optional[_Union[_trial_pb2.Trial, _Mapping]] = ..., next: _Optional[_Union[SuggestResponse, _Mapping]] = ...) -> None: ...

class ReportIntermediateRequest(_message.Message):
    __slots__ = ("trial_id", "step", "value")
    TRIAL_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    trial_id: int
    step: int
    value: float
    def __init__(self, trial_id: _Optional[int] = ..., step: _Optional[int] = ..., value: _Optional[float] = ...) -> None: ...

class ReportIntermediateResponse(_message.Message):
    __slots__ = ("should_prune",)
    SHOULD_PRUNE_FIELD_NUMBER: _ClassVar[int]
    should_prune: bool
    def __init__(self, should_prune: bool = ...) -> None: ...

class ReleaseTrialRequest(_message.Message):
    __slots__ = ("trial_id", "request_id", "worker_id")
    TRIAL_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    trial_id: int
    request_id: str
    worker_id: str
    def __init__(self, trial_id: _Optional[int] = ..., request_id: _Optional[str] = ..., worker_id: _Optional[str] = ...) -> None: ...

class ReleaseTrialResponse(_message.Message):
    __slots__ = ("trial",)
    TRIAL_FIELD_NUMBER: _ClassVar[int]
    trial: _trial_pb2.Trial
    def __init__(self, trial: _Optional[_Union[_trial_pb2.Trial, _Mapping]] = ...) -> None: ...

class HeartbeatRequest(_message.Message):
    __slots__ = ("trial_id",)
    TRIAL_ID_FIELD_NUMBER: _ClassVar[int]
    trial_id: int
    def __init__(self, trial_id: _Optional[int] = ...) -> None: ...

class HeartbeatResponse(_message.Message):
    __slots__ = ("lease_deadline",)
    LEASE_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    lease_deadline: _timestamp_pb2.Timestamp
    def __init__(self, lease_deadline: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Configuration(_message.Message):
    __slots__ = ("params", "user_attrs")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _space_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_space_pb2.Value, _Mapping]] = ...) -> None: ...
    class UserAttrsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    USER_ATTRS_FIELD_NUMBER: _ClassVar[int]
    params: _containers.MessageMap[str, _space_pb2.Value]
    user_attrs: _containers.ScalarMap[str, str]
    def __init__(self, params: _Optional[_Mapping[str, _space_pb2.Value]] = ..., user_attrs: _Optional[_Mapping[str, str]] = ...) -> None: ...

class EnqueueRequest(_message.Message):
    __slots__ = ("experiment", "configurations", "skip_if_exists")
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    CONFIGURATIONS_FIELD_NUMBER: _ClassVar[int]
    SKIP_IF_EXISTS_FIELD_NUMBER: _ClassVar[int]
    experiment: str
    configurations: _containers.RepeatedCompositeFieldContainer[Configuration]
    skip_if_exists: bool
    def __init__(self, experiment: _Optional[str] = ..., configurations: _Optional[_Iterable[_Union[Configuration, _Mapping]]] = ..., skip_if_exists: bool = ...) -> None: ...

class EnqueueResponse(_message.Message):
    __slots__ = ("trials",)
    TRIALS_FIELD_NUMBER: _ClassVar[int]
    trials: _containers.RepeatedCompositeFieldContainer[_trial_pb2.Trial]
    def __init__(self, trials: _Optional[_Iterable[_Union[_trial_pb2.Trial, _Mapping]]] = ...) -> None: ...

class TrialImport(_message.Message):
    __slots__ = ("params", "state", "loss", "metrics", "intermediate_values", "user_attrs", "fail_reason", "values", "constraints")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _space_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_space_pb2.Value, _Mapping]] = ...) -> None: ...
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class UserAttrsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    INTERMEDIATE_VALUES_FIELD_NUMBER: _ClassVar[int]
    USER_ATTRS_FIELD_NUMBER: _ClassVar[int]
    FAIL_REASON_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    CONSTRAINTS_FIELD_NUMBER: _ClassVar[int]
    params: _containers.MessageMap[str, _space_pb2.Value]
    state: _trial_pb2.TrialState
    loss: float
    metrics: _containers.ScalarMap[str, float]
    intermediate_values: _containers.RepeatedCompositeFieldContainer[_trial_pb2.IntermediateValue]
    user_attrs: _containers.ScalarMap[str, str]
    fail_reason: str
    values: _containers.RepeatedScalarFieldContainer[float]
    constraints: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, params: _Optional[_Mapping[str, _space_pb2.Value]] = ..., state: _Optional[_Union[_trial_pb2.TrialState, str]] = ..., loss: _Optional[float] = ..., metrics: _Optional[_Mapping[str, float]] = ..., intermediate_values: _Optional[_Iterable[_Union[_trial_pb2.IntermediateValue, _Mapping]]] = ..., user_attrs: _Optional[_Mapping[str, str]] = ..., fail_reason: _Optional[str] = ..., values: _Optional[_Iterable[float]] = ..., constraints: _Optional[_Iterable[float]] = ...) -> None: ...

class AddTrialsRequest(_message.Message):
    __slots__ = ("experiment", "trials", "request_id")
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    TRIALS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    experiment: str
    trials: _containers.RepeatedCompositeFieldContainer[TrialImport]
    request_id: str
    def __init__(self, experiment: _Optional[str] = ..., trials: _Optional[_Iterable[_Union[TrialImport, _Mapping]]] = ..., request_id: _Optional[str] = ...) -> None: ...

class AddTrialsResponse(_message.Message):
    __slots__ = ("trials",)
    TRIALS_FIELD_NUMBER: _ClassVar[int]
    trials: _containers.RepeatedCompositeFieldContainer[_trial_pb2.Trial]
    def __init__(self, trials: _Optional[_Iterable[_Union[_trial_pb2.Trial, _Mapping]]] = ...) -> None: ...

class GetTrialRequest(_message.Message):
    __slots__ = ("trial_id",)
    TRIAL_ID_FIELD_NUMBER: _ClassVar[int]
    trial_id: int
    def __init__(self, trial_id: _Optional[int] = ...) -> None: ...

class GetTrialResponse(_message.Message):
    __slots__ = ("trial",)
    TRIAL_FIELD_NUMBER: _ClassVar[int]
    trial: _trial_pb2.Trial
    def __init__(self, trial: _Optional[_Union[_trial_pb2.Trial, _Mapping]] = ...) -> None: ...

class ListTrialsRequest(_message.Message):
    __slots__ = ("experiment", "states", "page_size", "page_token", "worker_id")
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    experiment: str
    states: _containers.RepeatedScalarFieldContainer[_trial_pb2.TrialState]
    page_size: int
    page_token: str
    worker_id: str
    def __init__(self, experiment: _Optional[str] = ..., states: _Optional[_Iterable[_Union[_trial_pb2.TrialState, str]]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., worker_id: _Optional[str] = ...) -> None: ...

class ListTrialsResponse(_message.Message):
    __slots__ = ("trials", "next_page_token")
    TRIALS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    trials: _containers.RepeatedCompositeFieldContainer[_trial_pb2.Trial]
    next_page_token: str
    def __init__(self, trials: _Optional[_Iterable[_Union[_trial_pb2.Trial, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class StreamTrialsRequest(_message.Message):
    __slots__ = ("experiment", "states")
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    experiment: str
    states: _containers.RepeatedScalarFieldContainer[_trial_pb2.TrialState]
    def __init__(self, experiment: _Optional[str] = ..., states: _Optional[_Iterable[_Union[_trial_pb2.TrialState, str]]] = ...) -> None: ...

class StreamTrialsResponse(_message.Message):
    __slots__ = ("trial",)
    TRIAL_FIELD_NUMBER: _ClassVar[int]
    trial: _trial_pb2.Trial
    def __init__(self, trial: _Optional[_Union[_trial_pb2.Trial, _Mapping]] = ...) -> None: ...

class GetBestRequest(_message.Message):
    __slots__ = ("experiment",)
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    experiment: str
    def __init__(self, experiment: _Optional[str] = ...) -> None: ...

class GetBestResponse(_message.Message):
    __slots__ = ("trial",)
    TRIAL_FIELD_NUMBER: _ClassVar[int]
    trial: _trial_pb2.Trial
    def __init__(self, trial: _Optional[_Union[_trial_pb2.Trial, _Mapping]] = ...) -> None: ...

class GetParetoFrontRequest(_message.Message):
    __slots__ = ("experiment",)
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    experiment: str
    def __init__(self, experiment: _Optional[str] = ...) -> None: ...

class GetParetoFrontResponse(_message.Message):
    __slots__ = ("trials",)
    TRIALS_FIELD_NUMBER: _ClassVar[int]
    trials: _containers.RepeatedCompositeFieldContainer[_trial_pb2.Trial]
    def __init__(self, trials: _Optional[_Iterable[_Union[_trial_pb2.Trial, _Mapping]]] = ...) -> None: ...

class GetImportanceRequest(_message.Message):
    __slots__ = ("experiment",)
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    experiment: str
    def __init__(self, experiment: _Optional[str] = ...) -> None: ...

class GetImportanceResponse(_message.Message):
    __slots__ = ("parameters", "trials")
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    TRIALS_FIELD_NUMBER: _ClassVar[int]
    parameters: _containers.RepeatedCompositeFieldContainer[ParameterImportance]
    trials: int
    def __init__(self, parameters: _Optional[_Iterable[_Union[ParameterImportance, _Mapping]]] = ..., trials: _Optional[int] = ...) -> None: ...

class ParameterImportance(_message.Message):
    __slots__ = ("name", "importance")
    NAME_FIELD_NUMBER: _ClassVar[int]
    IMPORTANCE_FIELD_NUMBER: _ClassVar[int]
    name: str
    importance: float
    def __init__(self, name: _Optional[str] = ..., importance: _Optional[float] = ...) -> None: ...
