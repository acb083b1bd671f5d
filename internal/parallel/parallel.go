// Package parallel is keycycle's one worker pool: the scans, the rekey
// plan, the deployments and the fleet rotations share it.
package parallel

import "sync"

// Each calls fn(i) for every i in [0, n), on at most limit goroutines at
// once (limit < 1 means one), handing out the indexes in order; it
// returns when every call has returned. fn writes its result to its own
// slot (results[i]); to stop early, fn returns at once when its context
// is done.
func Each(n, limit int, fn func(i int)) {
	limit = max(1, min(limit, n))
	work := make(chan int)
	var wg sync.WaitGroup
	for range limit {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				fn(i)
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
}

// Ordered calls do(i) for every i in [0, n) on at most limit goroutines
// and hands each result to visit in index order, on the caller's
// goroutine. At most window results (window < limit means limit) are
// made and not yet visited at any moment, so what is held at once is
// bounded by the window, not by n: a slow item holds the ones after it
// back, never the whole run. It returns when every result was visited.
func Ordered[T any](n, limit, window int, do func(i int) T, visit func(i int, v T)) {
	if n <= 0 {
		return
	}
	limit = max(1, min(limit, n))
	window = min(max(window, limit), n)
	ring := make([]chan T, window)
	for i := range ring {
		ring[i] = make(chan T, 1)
	}
	slots := make(chan struct{}, window) // results made and not yet visited
	work := make(chan int)
	go func() {
		defer close(work)
		for i := range n {
			slots <- struct{}{}
			work <- i
		}
	}()
	for range limit {
		go func() {
			for i := range work {
				ring[i%window] <- do(i)
			}
		}()
	}
	for i := range n {
		visit(i, <-ring[i%window])
		<-slots
	}
}
