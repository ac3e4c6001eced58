package parzen

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestErrorsKeepTheirStatus(t *testing.T) {
	err := wrap("GetExperiment nope", status.Error(codes.NotFound, `experiment "nope" not found`))
	if status.Code(err) != codes.NotFound || Code(err) != codes.NotFound {
		t.Fatalf("status.Code = %v", status.Code(err))
	}
	if !IsNotFound(err) || IsAlreadyExists(err) || IsInvalidArgument(err) || IsFailedPrecondition(err) || IsUnavailable(err) {
		t.Errorf("helpers disagree with code NotFound")
	}
	if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrAlreadyExists) {
		t.Errorf("errors.Is sentinels wrong")
	}
	// Still recognised through further wrapping by the caller.
	outer := fmt.Errorf("tuning: %w", err)
	if !IsNotFound(outer) || !errors.Is(outer, ErrNotFound) {
		t.Errorf("lost through fmt.Errorf wrapping")
	}
	var pe *Error
	if !errors.As(outer, &pe) || pe.Op != "GetExperiment nope" || pe.Code() != codes.NotFound {
		t.Errorf("errors.As: %+v", pe)
	}
	st, ok := status.FromError(outer)
	if !ok || st.Code() != codes.NotFound {
		t.Errorf("status.FromError: %v %v", st, ok)
	}
	if got := err.Error(); got != `parzen: GetExperiment nope: rpc error: code = NotFound desc = experiment "nope" not found` {
		t.Errorf("message: %s", got)
	}
}

func TestHelpersOnOtherErrors(t *testing.T) {
	if Code(nil) != codes.OK || IsNotFound(nil) {
		t.Errorf("nil error")
	}
	plain := errors.New("boom")
	if Code(plain) != codes.Unknown || IsNotFound(plain) || errors.Is(plain, ErrNotFound) {
		t.Errorf("plain error")
	}
	if wrap("x", nil) != nil {
		t.Errorf("wrap(nil) must be nil")
	}
	for _, c := range []struct {
		code codes.Code
		is   func(error) bool
		s    error
	}{
		{codes.AlreadyExists, IsAlreadyExists, ErrAlreadyExists},
		{codes.InvalidArgument, IsInvalidArgument, ErrInvalidArgument},
		{codes.FailedPrecondition, IsFailedPrecondition, ErrFailedPrecondition},
		{codes.Unavailable, IsUnavailable, ErrUnavailable},
	} {
		err := wrap("op", status.Error(c.code, "m"))
		if !c.is(err) || !errors.Is(err, c.s) {
			t.Errorf("%v not recognised", c.code)
		}
	}
}

// Every sentinel matches its own code and no other, and every Is* helper
// likewise: a sentinel bound to the wrong code, or a helper comparing
// against another, fails here.
func TestEverySentinelAndHelperMatchesExactlyItsCode(t *testing.T) {
	sentinels := map[codes.Code]error{
		codes.NotFound:           ErrNotFound,
		codes.AlreadyExists:      ErrAlreadyExists,
		codes.InvalidArgument:    ErrInvalidArgument,
		codes.FailedPrecondition: ErrFailedPrecondition,
		codes.Unavailable:        ErrUnavailable,
		codes.Unauthenticated:    ErrUnauthenticated,
		codes.PermissionDenied:   ErrPermissionDenied,
		codes.DeadlineExceeded:   ErrDeadlineExceeded,
		codes.ResourceExhausted:  ErrResourceExhausted,
		codes.Internal:           ErrInternal,
	}
	helpers := map[codes.Code]func(error) bool{
		codes.NotFound:           IsNotFound,
		codes.AlreadyExists:      IsAlreadyExists,
		codes.InvalidArgument:    IsInvalidArgument,
		codes.FailedPrecondition: IsFailedPrecondition,
		codes.Unavailable:        IsUnavailable,
		codes.Unauthenticated:    IsUnauthenticated,
	}
	for code := codes.Canceled; code <= codes.Unauthenticated; code++ {
		err := fmt.Errorf("caller: %w", wrap("Suggest", status.Error(code, "m")))
		if Code(err) != code {
			t.Errorf("Code(%v) = %v", code, Code(err))
		}
		for want, s := range sentinels {
			if got := errors.Is(err, s); got != (want == code) {
				t.Errorf("errors.Is(%v error, %v) = %v", code, s, got)
			}
		}
		for want, is := range helpers {
			if got := is(err); got != (want == code) {
				t.Errorf("Is%v(%v error) = %v", want, code, got)
			}
		}
	}
	if got := ErrPermissionDenied.Error(); got != "parzen: PermissionDenied" {
		t.Errorf("sentinel message %q", got)
	}
	if got := ErrDeadlineExceeded.Error(); got != "parzen: DeadlineExceeded" {
		t.Errorf("sentinel message %q", got)
	}
}

// A client-side check fails like a server refusal: INVALID_ARGUMENT, the
// operation named, the message formatted.
func TestInvalidIsAnInvalidArgumentError(t *testing.T) {
	err := invalid("Suggest", "count %d out of range", 0)
	var pe *Error
	if !errors.As(err, &pe) || pe.Op != "Suggest" || !IsInvalidArgument(err) || !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("invalid: %#v", err)
	}
	if got := err.Error(); got != "parzen: Suggest: rpc error: code = InvalidArgument desc = count 0 out of range" {
		t.Errorf("message %q", got)
	}
}
