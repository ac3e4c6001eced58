package parzen

// Errors: every error this package returns for a failed call is an *Error
// that names the operation and wraps the gRPC status, so both
// status.Code(err) and errors.Is(err, parzen.ErrNotFound) work. Invalid
// input caught on the client (e.g. an unsupported choice option type) is
// reported the same way, with codes.InvalidArgument, so callers need only
// one way of telling errors apart.

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	parzenv1 "github.com/parzen-hpo/parzen/clients/go/gen/parzen/v1"
)

// Error is a failed Parzen call: the operation and the gRPC status it ended
// with. Unwrap gives the underlying status error.
type Error struct {
	// Op is the client operation, e.g. "Suggest" or "Report trial 12".
	Op  string
	err error
}

func (e *Error) Error() string { return "parzen: " + e.Op + ": " + e.err.Error() }

// Unwrap returns the wrapped gRPC status error.
func (e *Error) Unwrap() error { return e.err }

// GRPCStatus makes status.Code and status.FromError see the wrapped status.
func (e *Error) GRPCStatus() *status.Status { return status.Convert(e.err) }

// Code is the gRPC status code of the failure.
func (e *Error) Code() codes.Code { return status.Code(e.err) }

// Is matches the code sentinels (ErrNotFound, ...), so errors.Is works.
func (e *Error) Is(target error) bool {
	var c *codeSentinel
	if errors.As(target, &c) {
		return e.Code() == c.code
	}
	return false
}

// codeSentinel is an error that stands for "any failure with this code".
type codeSentinel struct{ code codes.Code }

func (c *codeSentinel) Error() string { return "parzen: " + c.code.String() }

// Sentinels for errors.Is. Each matches any error from this package whose
// gRPC code is the one named.
var (
	// ErrNotFound: no such experiment or trial.
	ErrNotFound error = &codeSentinel{codes.NotFound}
	// ErrAlreadyExists: an experiment of that name exists with a different
	// definition.
	ErrAlreadyExists error = &codeSentinel{codes.AlreadyExists}
	// ErrInvalidArgument: the request was malformed (bad space, value
	// outside its domain, ...); the message names the field.
	ErrInvalidArgument error = &codeSentinel{codes.InvalidArgument}
	// ErrFailedPrecondition: the request conflicts with stored state, e.g.
	// reporting a finished trial differently, heartbeating a trial that is
	// no longer RUNNING, or asking for the best trial before any finished.
	ErrFailedPrecondition error = &codeSentinel{codes.FailedPrecondition}
	// ErrUnavailable: the server could not be reached; usually worth a retry.
	// A failed TLS handshake (untrusted server certificate, plaintext
	// client, missing client certificate) also ends this way.
	ErrUnavailable error = &codeSentinel{codes.Unavailable}
	// ErrUnauthenticated: the server requires a bearer token (WithToken)
	// and the call carried none, or one it does not accept.
	ErrUnauthenticated error = &codeSentinel{codes.Unauthenticated}
	// ErrPermissionDenied: the caller is known but may not make this call.
	ErrPermissionDenied error = &codeSentinel{codes.PermissionDenied}
	// ErrDeadlineExceeded: the call did not finish within its deadline
	// (the context's, or WithCallTimeout's).
	ErrDeadlineExceeded error = &codeSentinel{codes.DeadlineExceeded}
	// ErrResourceExhausted: the server refused the call for lack of
	// resources or because a size limit was exceeded.
	ErrResourceExhausted error = &codeSentinel{codes.ResourceExhausted}
	// ErrInternal: the server failed unexpectedly (a bug: please report it).
	ErrInternal error = &codeSentinel{codes.Internal}
)

// ErrExperimentDone matches the error Suggest returns once the experiment is
// COMPLETED (its budget used up, its goal reached, too many failures, its
// deadline passed, or stopped by a user): not a failure, a worker simply
// stops. errors.As with *ExperimentDoneError gives the reason.
var ErrExperimentDone = errors.New("parzen: experiment done")

// ExperimentDoneError says why an experiment gives no more trials.
type ExperimentDoneError struct {
	Experiment string
	// Reason is why it is COMPLETED, e.g. parzenv1.CompletionReason_COMPLETION_REASON_BUDGET.
	Reason parzenv1.CompletionReason
}

func (e *ExperimentDoneError) Error() string {
	return fmt.Sprintf("parzen: experiment %q is done (%s)", e.Experiment, ReasonName(e.Reason))
}

// Is makes errors.Is(err, ErrExperimentDone) hold.
func (e *ExperimentDoneError) Is(target error) bool { return target == ErrExperimentDone }

// ReasonName is a completion reason's short name: "BUDGET", "GOAL",
// "FAILURES", "DEADLINE", "STOPPED" ("" when unspecified).
func ReasonName(r parzenv1.CompletionReason) string {
	if r == parzenv1.CompletionReason_COMPLETION_REASON_UNSPECIFIED {
		return ""
	}
	return strings.TrimPrefix(r.String(), "COMPLETION_REASON_")
}

// Code returns the gRPC status code of err: codes.OK for nil, codes.Unknown
// for errors that carry no status. Same as status.Code.
func Code(err error) codes.Code { return status.Code(err) }

// IsNotFound reports whether err means the experiment or trial does not exist.
func IsNotFound(err error) bool { return Code(err) == codes.NotFound }

// IsAlreadyExists reports whether err means an experiment of that name
// exists with a different definition.
func IsAlreadyExists(err error) bool { return Code(err) == codes.AlreadyExists }

// IsInvalidArgument reports whether err means the request was malformed.
func IsInvalidArgument(err error) bool { return Code(err) == codes.InvalidArgument }

// IsFailedPrecondition reports whether err means the request conflicts with
// the stored state (see ErrFailedPrecondition).
func IsFailedPrecondition(err error) bool { return Code(err) == codes.FailedPrecondition }

// IsUnavailable reports whether err means the server could not be reached.
func IsUnavailable(err error) bool { return Code(err) == codes.Unavailable }

// IsUnauthenticated reports whether err means a missing or unknown bearer
// token.
func IsUnauthenticated(err error) bool { return Code(err) == codes.Unauthenticated }

// wrap turns an RPC error into an *Error; nil stays nil.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Op: op, err: err}
}

// invalid is a client-side INVALID_ARGUMENT error.
func invalid(op, format string, args ...any) error {
	return &Error{Op: op, err: status.Error(codes.InvalidArgument, fmt.Sprintf(format, args...))}
}
