package service

// Intake files requests and carries out what subjects do themselves (verifying, withdrawing), and
// expires the requests never verified.
type Intake struct {
	*core
	// db is the store as Intake uses it, begin its transactions.
	db    intakeStore
	begin txRunner[intakeStore]
}
