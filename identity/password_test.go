package identity

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPasswordPolicy(t *testing.T) {
	tests := []struct {
		name, password, email string
		ok                    bool
	}{
		{"long enough", "twelve chars", "a@b.example", true},
		{"eleven characters", "eleven char", "a@b.example", false},
		{"twelve runes, fewer bytes would not count", "überlänge123", "a@b.example", true},
		{"the email", "Alice@Forest.example", "alice@forest.example", false},
		{"the email with spaces", " alice@forest.example ", "alice@forest.example", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPasswordPolicy("password", tt.password, tt.email)
			if (err == nil) != tt.ok {
				t.Errorf("CheckPasswordPolicy(%q) = %v, want ok %v", tt.password, err, tt.ok)
			}
		})
	}
}

func TestHashPassword(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Errorf("hash %q is not argon2id with the chosen parameters", h)
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	if !PasswordMatches("correct horse battery", h) || PasswordMatches("correct horse batterY", h) || PasswordMatches("x", "not a hash") {
		t.Error("PasswordMatches is wrong")
	}
}

func TestSecrets(t *testing.T) {
	a, ha := newSecret()
	b, _ := newSecret()
	if a == b || len(a) != 43 || string(ha) != string(hashSecret(a)) || len(ha) != 32 {
		t.Errorf("secrets %q %q", a, b)
	}
}

// BenchmarkHashPassword is what a sign-in or redemption costs in CPU and
// what bounds sign-ins per core.
func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		HashPassword("correct horse battery")
	}
}

// TestHashingBounded: no more than MaxConcurrentHashes hashes run at once;
// a caller waiting for a slot gives up when its context ends.
func TestHashingBounded(t *testing.T) {
	hash := dummyHash() // made before the slots are taken
	for i := 0; i < MaxConcurrentHashes; i++ {
		hashSlots <- struct{}{}
	}
	defer func() {
		for i := 0; i < MaxConcurrentHashes; i++ {
			<-hashSlots
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := passwordMatches(ctx, "correct horse battery", hash); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("passwordMatches with every slot taken: %v", err)
	}
	if _, err := hashPassword(ctx, "correct horse battery"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hashPassword with every slot taken: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("gave up after %v", took)
	}
}
