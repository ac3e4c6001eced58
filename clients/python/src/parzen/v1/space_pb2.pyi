from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SearchSpace(_message.Message):
    __slots__ = ("parameters",)
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    parameters: _containers.RepeatedCompositeFieldContainer[Parameter]
    def __init__(self, parameters: _Optional[_Iterable[_Union[Parameter, _Mapping]]] = ...) -> None: ...

class Parameter(_message.Message):
    __slots__ = ("name", "uniform", "log_uniform", "q_uniform", "q_log_uniform", "normal", "log_normal", "q_normal", "q_log_normal", "int_range", "choice")
    NAME_FIELD_NUMBER: _ClassVar[int]
    UNIFORM_FIELD_NUMBER: _ClassVar[int]
    LOG_UNIFORM_FIELD_NUMBER: _ClassVar[int]
    Q_UNIFORM_FIELD_NUMBER: _ClassVar[int]
    Q_LOG_UNIFORM_FIELD_NUMBER: _ClassVar[int]
    NORMAL_FIELD_NUMBER: _ClassVar[int]
    LOG_NORMAL_FIELD_NUMBER: _ClassVar[int]
    Q_NORMAL_FIELD_NUMBER: _ClassVar[int]
    Q_LOG_NORMAL_FIELD_NUMBER: _ClassVar[int]
    INT_RANGE_FIELD_NUMBER: _ClassVar[int]
    CHOICE_FIELD_NUMBER: _ClassVar[int]
    name: str
    uniform: Uniform
    log_uniform: LogUniform
    q_uniform: QUniform
    q_log_uniform: QLogUniform
    normal: Normal
    log_normal: LogNormal
    q_normal: QNormal
    q_log_normal: QLogNormal
    int_range: IntRange
    choice: Choice
    def __init__(self, name: _Optional[str] = ..., uniform: _Optional[_Union[Uniform, _Mapping]] = ..., log_uniform: _Optional[_Union[LogUniform, _Mapping]] = ..., q_uniform: _Optional[_Union[QUniform, _Mapping]] = ..., q_log_uniform: _Optional[_Union[QLogUniform, _Mapping]] = ..., normal: _Optional[_Union[Normal, _Mapping]] = ..., log_normal: _Optional[_Union[LogNormal, _Mapping]] = ..., q_normal: _Optional[_Union[QNormal, _Mapping]] = ..., q_log_normal: _Optional[_Union[QLogNormal, _Mapping]] = ..., int_range: _Optional[_Union[IntRange, _Mapping]] = ..., choice: _Optional[_Union[Choice, _Mapping]] = ...) -> None: ...

class Uniform(_message.Message):
    __slots__ = ("low", "high")
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    low: float
    high: float
    def __init__(self, low: _Optional[float] = ..., high: _Optional[float] = ...) -> None: ...

class LogUniform(_message.Message):
    __slots__ = ("low", "high")
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    low: float
    high: float
    def __init__(self, low: _Optional[float] = ..., high: _Optional[float] = ...) -> None: ...

class QUniform(_message.Message):
    __slots__ = ("low", "high", "q")
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    Q_FIELD_NUMBER: _ClassVar[int]
    low: float
    high: float
    q: float
    def __init__(self, low: _Optional[float] = ..., high: _Optional[float] = ..., q: _Optional[float] = ...) -> None: ...

class QLogUniform(_message.Message):
    __slots__ = ("low", "high", "q")
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    Q_FIELD_NUMBER: _ClassVar[int]
    low: float
    high: float
    q: float
    def __init__(self, low: _Optional[float] = ..., high: _Optional[float] = ..., q: _Optional[float] = ...) -> None: ...

class Normal(_message.Message):
    __slots__ = ("mu", "sigma")
    MU_FIELD_NUMBER: _ClassVar[int]
    SIGMA_FIELD_NUMBER: _ClassVar[int]
    mu: float
    sigma: float
    def __init__(self, mu: _Optional[float] = ..., sigma: _Optional[float] = ...) -> None: ...

class LogNormal(_message.Message):
    __slots__ = ("mu", "sigma")
    MU_FIELD_NUMBER: _ClassVar[int]
    SIGMA_FIELD_NUMBER: _ClassVar[int]
    mu: float
    sigma: float
    def __init__(self, mu: _Optional[float] = ..., sigma: _Optional[float] = ...) -> None: ...

class QNormal(_message.Message):
    __slots__ = ("mu", "sigma", "q")
    MU_FIELD_NUMBER: _ClassVar[int]
    SIGMA_FIELD_NUMBER: _ClassVar[int]
    Q_FIELD_NUMBER: _ClassVar[int]
    mu: float
    sigma: float
    q: float
    def __init__(self, mu: _Optional[float] = ..., sigma: _Optional[float] = ..., q: _Optional[float] = ...) -> None: ...

class QLogNormal(_message.Message):
    __slots__ = ("mu", "sigma", "q")
    MU_FIELD_NUMBER: _ClassVar[int]
    SIGMA_FIELD_NUMBER: _ClassVar[int]
    Q_FIELD_NUMBER: _ClassVar[int]
    mu: float
    sigma: float
    q: float
    def __init__(self, mu: _Optional[float] = ..., sigma: _Optional[float] = ..., q: _Optional[float] = ...) -> None: ...

class IntRange(_message.Message):
    __slots__ = ("low", "high", "step", "log")
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    low: int
    high: int
    step: int
    log: bool
    def __init__(self, low: _Optional[int] = ..., high: _Optional[int] = ..., step: _Optional[int] = ..., log: bool = ...) -> None: ...

class Choice(_message.Message):
    __slots__ = ("options", "weights")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    options: _containers.RepeatedCompositeFieldContainer[ChoiceOption]
    weights: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, options: _Optional[_Iterable[_Union[ChoiceOption, _Mapping]]] = ..., weights: _Optional[_Iterable[float]] = ...) -> None: ...

class ChoiceOption(_message.Message):
    __slots__ = ("value", "children", "label")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    value: Value
    children: _containers.RepeatedCompositeFieldContainer[Parameter]
    label: str
    def __init__(self, value: _Optional[_Union[Value, _Mapping]] = ..., children: _Optional[_Iterable[_Union[Parameter, _Mapping]]] = ..., label: _Optional[str] = ...) -> None: ...

class Value(_message.Message):
    __slots__ = ("double_value", "int_value", "string_value", "bool_value")
    DOUBLE_VALUE_FIELD_NUMBER: _ClassVar[int]
    INT_VALUE_FIELD_NUMBER: _ClassVar[int]
    STRING_VALUE_FIELD_NUMBER: _ClassVar[int]
    BOOL_VALUE_FIELD_NUMBER: _ClassVar[int]
    double_value: float
    int_value: int
    string_value: str
    bool_value: bool
    def __init__(self, double_value: _Optional[float] = ..., int_value: _Optional[int] = ..., string_value: _Optional[str] = ..., bool_value: bool = ...) -> None: ...
