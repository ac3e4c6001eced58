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
