from google.protobuf import timestamp_pb2 as _timestamp_pb2
from parzen.v1 import space_pb2 as _space_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TrialState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRIAL_STATE_UNSPECIFIED: _ClassVar[TrialState]
    TRIAL_STATE_WAITING: _ClassVar[TrialState]
    TRIAL_STATE_RUNNING: _ClassVar[TrialState]
    TRIAL_STATE_COMPLETE: _ClassVar[TrialState]
    TRIAL_STATE_PRUNED: _ClassVar[TrialState]
    TRIAL_STATE_FAIL: _ClassVar[TrialState]
    TRIAL_STATE_LOST: _ClassVar[TrialState]

class TrialSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRIAL_SOURCE_UNSPECIFIED: _ClassVar[TrialSource]
    TRIAL_SOURCE_ALGORITHM: _ClassVar[TrialSource]
    TRIAL_SOURCE_ENQUEUED: _ClassVar[TrialSource]
    TRIAL_SOURCE_IMPORTED: _ClassVar[TrialSource]
TRIAL_STATE_UNSPECIFIED: TrialState
TRIAL_STATE_WAITING: TrialState
TRIAL_STATE_RUNNING: TrialState
TRIAL_STATE_COMPLETE: TrialState
TRIAL_STATE_PRUNED: TrialState
TRIAL_STATE_FAIL: TrialState
TRIAL_STATE_LOST: TrialState
TRIAL_SOURCE_UNSPECIFIED: TrialSource
TRIAL_SOURCE_ALGORITHM: TrialSource
TRIAL_SOURCE_ENQUEUED: TrialSource
TRIAL_SOURCE_IMPORTED: TrialSource

class IntermediateValue(_message.Message):
    __slots__ = ("step", "value")
    STEP_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    step: int
    value: float
    def __init__(self, step: _Optional[int] = ..., value: _Optional[float] = ...) -> None: ...

class Trial(_message.Message):
    __slots__ = ("id", "experiment", "number", "params", "state", "loss", "metrics", "intermediate_values", "worker_id", "user_attrs", "source", "fail_reason", "create_time", "start_time", "end_time", "lease_deadline", "values", "constraints", "proposed_by")
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
    ID_FIELD_NUMBER: _ClassVar[int]
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    INTERMEDIATE_VALUES_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ATTRS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    FAIL_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    LEASE_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    CONSTRAINTS_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_BY_FIELD_NUMBER: _ClassVar[int]
    id: int
    experiment: str
    number: int
    params: _containers.MessageMap[str, _space_pb2.Value]
    state: TrialState
    loss: float
    metrics: _containers.ScalarMap[str, float]
    intermediate_values: _containers.RepeatedCompositeFieldContainer[IntermediateValue]
    worker_id: str
    user_attrs: _containers.ScalarMap[str, str]
    source: TrialSource
    fail_reason: str
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    lease_deadline: _timestamp_pb2.Timestamp
    values: _containers.RepeatedScalarFieldContainer[float]
    constraints: _containers.RepeatedScalarFieldContainer[float]
    proposed_by: str
    def __init__(self, id: _Optional[int] = ..., experiment: _Optional[str] = ..., number: _Optional[int] = ..., params: _Optional[_Mapping[str, _space_pb2.Value]] = ..., state: _Optional[_Union[TrialState, str]] = ..., loss: _Optional[float] = ..., metrics: _Optional[_Mapping[str, float]] = ..., intermediate_values: _Optional[_Iterable[_Union[IntermediateValue, _Mapping]]] = ..., worker_id: _Optional[str] = ..., user_attrs: _Optional[_Mapping[str, str]] = ..., source: _Optional[_Union[TrialSource, str]] = ..., fail_reason: _Optional[str] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., lease_deadline: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., values: _Optional[_Iterable[float]] = ..., constraints: _Optional[_Iterable[float]] = ..., proposed_by: _Optional[str] = ...) -> None: ...
