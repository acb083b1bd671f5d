package parallel

import (
	"sync"
	"testing"
)

func TestEachCallsEveryIndexOnceWithinTheLimit(t *testing.T) {
	for _, tc := range []struct{ n, limit, want int }{{10, 3, 3}, {2, 8, 2}, {5, 0, 1}, {5, -1, 1}, {0, 4, 0}} {
		var mu sync.Mutex
		running, peak := 0, 0
		seen := make([]int, tc.n)
		release := make(chan struct{})
		go func() {
			// Let the calls pile up to the limit before any returns.
			for range tc.n {
				release <- struct{}{}
			}
		}()
		Each(tc.n, tc.limit, func(i int) {
			mu.Lock()
			running++
			peak = max(peak, running)
			seen[i]++
			mu.Unlock()
			<-release
			mu.Lock()
			running--
			mu.Unlock()
		})
		for i, c := range seen {
			if c != 1 {
				t.Errorf("n=%d limit=%d: index %d called %d times", tc.n, tc.limit, i, c)
			}
		}
		if peak > max(tc.want, 0) {
			t.Errorf("n=%d limit=%d: %d calls at once, want at most %d", tc.n, tc.limit, peak, tc.want)
		}
	}
}
