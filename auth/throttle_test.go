package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/sesamehq/sesame/internal/clip"
)

func TestLockDelay(t *testing.T) {
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{0, 0},
		{1, 0},
		{4, 0},
		{5, time.Second},
		{6, 2 * time.Second},
		{7, 4 * time.Second},
		{8, 8 * time.Second},
		{10, 32 * time.Second},
		{14, 512 * time.Second},
		{15, 15 * time.Minute}, // 1024 s, capped
		{16, 15 * time.Minute},
		{40, 15 * time.Minute},
		{100, 15 * time.Minute}, // no overflow into a short or negative delay
		{1 << 30, 15 * time.Minute},
	}
	for _, tt := range tests {
		if got := lockDelay(tt.failures); got != tt.want {
			t.Errorf("lockDelay(%d) = %v; want %v", tt.failures, got, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		t    Failures
		want time.Duration
	}{
		{"no failures", Failures{}, 0},
		{"4 user failures", Failures{UserFailures: 4, UserLastFailure: now}, 0},
		{"5 user failures just now", Failures{UserFailures: 5, UserLastFailure: now}, time.Second},
		{"5 user failures, lock over", Failures{UserFailures: 5, UserLastFailure: now.Add(-time.Second)}, 0},
		{"6 user failures 1s ago", Failures{UserFailures: 6, UserLastFailure: now.Add(-time.Second)}, time.Second},
		{"rounded up", Failures{UserFailures: 7, UserLastFailure: now.Add(-1500 * time.Millisecond)}, 3 * time.Second},
		{"under a second is one", Failures{UserFailures: 5, UserLastFailure: now.Add(-999 * time.Millisecond)}, time.Second},
		{"capped", Failures{UserFailures: 50, UserLastFailure: now}, 15 * time.Minute},
		{"19 ip failures", Failures{IPFailures: 19, IPOldestFailure: now}, 0},
		{"20 ip failures", Failures{IPFailures: 20, IPOldestFailure: now.Add(-20 * time.Second)}, 40 * time.Second},
		{"20 ip failures, oldest about to leave", Failures{IPFailures: 20, IPOldestFailure: now.Add(-59*time.Second - time.Millisecond)}, time.Second},
		{"20 ip failures, oldest a minute old", Failures{IPFailures: 20, IPOldestFailure: now.Add(-time.Minute)}, 0},
		{"20 ip failures, wait rounded up", Failures{IPFailures: 20, IPOldestFailure: now.Add(-30*time.Second - 500*time.Millisecond)}, 30 * time.Second},
		{"both: the longer", Failures{
			UserFailures: 6, UserLastFailure: now,
			IPFailures: 25, IPOldestFailure: now.Add(-50 * time.Second),
		}, 10 * time.Second},
		{"both: the longer is the name's", Failures{
			UserFailures: 9, UserLastFailure: now,
			IPFailures: 20, IPOldestFailure: now.Add(-50 * time.Second),
		}, 16 * time.Second},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.t, now); got != tt.want {
			t.Errorf("%s: retryAfter = %v; want %v", tt.name, got, tt.want)
		}
	}
}

func TestThrottleKey(t *testing.T) {
	if got := throttleKey("Alice"); got != "alice" {
		t.Errorf("throttleKey(Alice) = %q; want alice", got)
	}
	if got := throttleKey(" Bob "); got != " bob " {
		t.Errorf("throttleKey(%q) = %q; want only lowercasing", " Bob ", got)
	}
	long := strings.Repeat("é", 100) // 200 bytes
	got := throttleKey(long)
	if len(got) > clip.Username || !strings.HasPrefix(long, got) || len(got) != 64 {
		t.Errorf("throttleKey(200 bytes) = %d bytes %q; want the first 64 bytes, whole runes", len(got), got)
	}
	odd := "a" + strings.Repeat("é", 40) // 81 bytes; byte 64 splits an é
	if got := throttleKey(odd); len(got) != 63 {
		t.Errorf("throttleKey cut inside a rune: %d bytes", len(got))
	}
}

func TestThrottleAddr(t *testing.T) {
	tests := []struct{ ip, want string }{
		// IPv6: the /64, written canonically, whatever the spelling.
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:DB8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:0db8:0001:0002:0000:0000:0000:0001", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"}, // the next /64 is another
		{"2001:db8::1", "2001:db8::/64"},
		{"::1", "::/64"},
		{"fe80::1%eth0", "fe80::/64"}, // the zone goes with the host bits
		// IPv4 as it is, and IPv4 in IPv6 clothing as the IPv4 client it
		// is, so that the two spellings share one count.
		{"203.0.113.7", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"::ffff:cb00:7107", "203.0.113.7"},
		{"::FFFF:203.0.113.7", "203.0.113.7"},
		// Not an address: as it is.
		{"", ""},
		{"unknown", "unknown"},
		{"[2001:db8::1]", "[2001:db8::1]"},
		{"[2001:db8::1]:443", "[2001:db8::1]:443"},
		{"203.0.113.7:443", "203.0.113.7:443"},
		{"2001:db8::/64", "2001:db8::/64"},
	}
	for _, tt := range tests {
		if got := ThrottleAddr(tt.ip); got != tt.want {
			t.Errorf("ThrottleAddr(%q) = %q; want %q", tt.ip, got, tt.want)
		}
	}
}
