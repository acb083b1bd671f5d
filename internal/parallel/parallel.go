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
