package parallel

import (
	"sync"
	"testing"
	"time"
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

func TestOrderedVisitsInOrderWithinTheWindow(t *testing.T) {
	for _, tc := range []struct{ n, limit, window, wantHeld int }{
		{50, 3, 8, 8}, {50, 4, 2, 4}, {3, 8, 16, 3}, {7, 0, 0, 1}, {0, 2, 2, 0},
	} {
		var mu sync.Mutex
		made, visited, peak := 0, 0, 0
		calls := make([]int, tc.n)
		var order []int
		Ordered(tc.n, tc.limit, tc.window, func(i int) int {
			mu.Lock()
			defer mu.Unlock()
			calls[i]++
			made++
			peak = max(peak, made-visited)
			return i * i
		}, func(i, v int) {
			if v != i*i {
				t.Errorf("visit(%d, %d): the result of another index", i, v)
			}
			order = append(order, i)
			if i%5 == 0 {
				time.Sleep(time.Millisecond) // a slow consumer: the workers run ahead to the window
			}
			mu.Lock()
			visited++
			mu.Unlock()
		})
		for i, c := range calls {
			if c != 1 {
				t.Errorf("n=%d: index %d made %d times", tc.n, i, c)
			}
		}
		for i, v := range order {
			if i != v {
				t.Fatalf("n=%d: visited %v, want 0..%d in order", tc.n, order, tc.n-1)
			}
		}
		if len(order) != tc.n {
			t.Errorf("n=%d: %d visits", tc.n, len(order))
		}
		if peak > tc.wantHeld {
			t.Errorf("n=%d limit=%d window=%d: %d results held at once, want at most %d", tc.n, tc.limit, tc.window, peak, tc.wantHeld)
		}
	}
}
