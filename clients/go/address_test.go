package parzen_test

import (
	"testing"

	parzen "github.com/parzen-hpo/parzen/clients/go"
)

// Dial("") reads PARZEN_ADDRESS, the name every Parzen client reads; the
// old PARZEN_ADDR still works when it is unset.
func TestDialEmptyAddressReadsTheEnvironment(t *testing.T) {
	addr := serverAddr(t)
	for _, env := range [][2]string{{"PARZEN_ADDRESS", addr}, {"PARZEN_ADDR", addr}} {
		t.Setenv("PARZEN_ADDRESS", "")
		t.Setenv("PARZEN_ADDR", "")
		t.Setenv(env[0], env[1])
		if got := parzen.AddressFromEnv(); got != addr {
			t.Fatalf("%s: AddressFromEnv() = %q", env[0], got)
		}
		c, err := parzen.Dial(testCtx(t), "")
		if err != nil {
			t.Fatalf("%s: %v", env[0], err)
		}
		c.Close()
	}
	t.Setenv("PARZEN_ADDRESS", "")
	t.Setenv("PARZEN_ADDR", "")
	if got := parzen.AddressFromEnv(); got != parzen.DefaultAddress {
		t.Fatalf("no variable: %q", got)
	}
}
