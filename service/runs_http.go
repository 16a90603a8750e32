package service

import "context"

// sendJob hands an http system its part of a run.
func (s *Service) sendJob(ctx context.Context, run *Run, r *Request, d *DataSystem, sr *SystemRun) {
	sr.Status, sr.Error = RunFailed, "http systems are not supported yet"
}
