from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from parzen.v1 import space_pb2 as _space_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Direction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIRECTION_UNSPECIFIED: _ClassVar[Direction]
    DIRECTION_MINIMIZE: _ClassVar[Direction]
    DIRECTION_MAXIMIZE: _ClassVar[Direction]

class ExperimentState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPERIMENT_STATE_UNSPECIFIED: _ClassVar[ExperimentState]
    EXPERIMENT_STATE_ACTIVE: _ClassVar[ExperimentState]
    EXPERIMENT_STATE_PAUSED: _ClassVar[ExperimentState]
    EXPERIMENT_STATE_COMPLETED: _ClassVar[ExperimentState]

class CompletionReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPLETION_REASON_UNSPECIFIED: _ClassVar[CompletionReason]
    COMPLETION_REASON_BUDGET: _ClassVar[CompletionReason]
    COMPLETION_REASON_GOAL: _ClassVar[CompletionReason]
    COMPLETION_REASON_FAILURES: _ClassVar[CompletionReason]
    COMPLETION_REASON_DEADLINE: _ClassVar[CompletionReason]
    COMPLETION_REASON_STOPPED: _ClassVar[CompletionReason]
    COMPLETION_REASON_SPACE_EXHAUSTED: _ClassVar[CompletionReason]
DIRECTION_UNSPECIFIED: Direction
DIRECTION_MINIMIZE: Direction
DIRECTION_MAXIMIZE: Direction
EXPERIMENT_STATE_UNSPECIFIED: ExperimentState
EXPERIMENT_STATE_ACTIVE: ExperimentState
EXPERIMENT_STATE_PAUSED: ExperimentState
EXPERIMENT_STATE_COMPLETED: ExperimentState
COMPLETION_REASON_UNSPECIFIED: CompletionReason
COMPLETION_REASON_BUDGET: CompletionReason
COMPLETION_REASON_GOAL: CompletionReason
COMPLETION_REASON_FAILURES: CompletionReason
COMPLETION_REASON_DEADLINE: CompletionReason
COMPLETION_REASON_STOPPED: CompletionReason
COMPLETION_REASON_SPACE_EXHAUSTED: CompletionReason

class AlgorithmConfig(_message.Message):
    __slots__ = ("name", "options")
    class OptionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _space_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_space_pb2.Value, _Mapping]] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    options: _containers.MessageMap[str, _space_pb2.Value]
    def __init__(self, name: _Optional[str] = ..., options: _Optional[_Mapping[str, _space_pb2.Value]] = ...) -> None: ...

class PrunerConfig(_message.Message):
    __slots__ = ("name", "options")
    class OptionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _space_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_space_pb2.Value, _Mapping]] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    options: _containers.MessageMap[str, _space_pb2.Value]
    def __init__(self, name: _Optional[str] = ..., options: _Optional[_Mapping[str, _space_pb2.Value]] = ...) -> None: ...

class Experiment(_message.Message):
    __slots__ = ("name", "space", "direction", "algorithm", "seed", "pruner", "lease_duration", "user_attrs", "create_time", "trial_counts", "retry_lost", "max_trials", "max_failed_trials", "goal", "state", "completion_reason", "deadline", "objectives", "algorithm_choice")
    class UserAttrsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    PRUNER_FIELD_NUMBER: _ClassVar[int]
    LEASE_DURATION_FIELD_NUMBER: _ClassVar[int]
    USER_ATTRS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    TRIAL_COUNTS_FIELD_NUMBER: _ClassVar[int]
    RETRY_LOST_FIELD_NUMBER: _ClassVar[int]
    MAX_TRIALS_FIELD_NUMBER: _ClassVar[int]
    MAX_FAILED_TRIALS_FIELD_NUMBER: _ClassVar[int]
    GOAL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_REASON_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVES_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_CHOICE_FIELD_NUMBER: _ClassVar[int]
    name: str
    space: _space_pb2.SearchSpace
    direction: Direction
    algorithm: AlgorithmConfig
    seed: int
    pruner: PrunerConfig
    lease_duration: _duration_pb2.Duration
    user_attrs: _containers.ScalarMap[str, str]
    create_time: _timestamp_pb2.Timestamp
    trial_counts: TrialCounts
    retry_lost: bool
    max_trials: int
    max_failed_trials: int
    goal: float
    state: ExperimentState
    completion_reason: CompletionReason
    deadline: _timestamp_pb2.Timestamp
    objectives: _containers.RepeatedCompositeFieldContainer[Objective]
    algorithm_choice: AlgorithmChoice
    def __init__(self, name: _Optional[str] = ..., space: _Optional[_Union[_space_pb2.SearchSpace, _Mapping]] = ..., direction: _Optional[_Union[Direction, str]] = ..., algorithm: _Optional[_Union[AlgorithmConfig, _Mapping]] = ..., seed: _Optional[int] = ..., pruner: _Optional[_Union[PrunerConfig, _Mapping]] = ..., lease_duration: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., user_attrs: _Optional[_Mapping[str, str]] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., trial_counts: _Optional[_Union[TrialCounts, _Mapping]] = ..., retry_lost: bool = ..., max_trials: _Optional[int] = ..., max_failed_trials: _Optional[int] = ..., goal: _Optional[float] = ..., state: _Optional[_Union[ExperimentState, str]] = ..., completion_reason: _Optional[_Union[CompletionReason, str]] = ..., deadline: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., objectives: _Optional[_Iterable[_Union[Objective, _Mapping]]] = ..., algorithm_choice: _Optional[_Union[AlgorithmChoice, _Mapping]] = ...) -> None: ...

class AlgorithmChoice(_message.Message):
    __slots__ = ("algorithm", "reason")
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    algorithm: str
    reason: str
    def __init__(self, algorithm: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class Objective(_message.Message):
    __slots__ = ("name", "direction")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    direction: Direction
    def __init__(self, name: _Optional[str] = ..., direction: _Optional[_Union[Direction, str]] = ...) -> None: ...

class TrialCounts(_message.Message):
    __slots__ = ("waiting", "running", "complete", "pruned", "fail", "lost")
    WAITING_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    PRUNED_FIELD_NUMBER: _ClassVar[int]
    FAIL_FIELD_NUMBER: _ClassVar[int]
    LOST_FIELD_NUMBER: _ClassVar[int]
    waiting: int
    running: int
    complete: int
    pruned: int
    fail: int
    lost: int
    def __init__(self, waiting: _Optional[int] = ..., running: _Optional[int] = ..., complete: _Optional[int] = ..., pruned: _Optional[int] = ..., fail: _Optional[int] = ..., lost: _Optional[int] = ...) -> None: ...
