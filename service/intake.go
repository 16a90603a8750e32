package service

// Intake files requests and carries out what subjects do themselves (verifying, withdrawing), and
// expires the requests never verified.
type Intake struct {
	*core
}
