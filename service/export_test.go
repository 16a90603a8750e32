package service

// EventHash exposes eventHash to the external tests, so that they can check the stored chain.
var EventHash = eventHash

// HeadMACOfTests is the audit head's MAC under the keys of a service configured without any, for tests that
// write the chain through the store.
func HeadMACOfTests(h AuditHead) string { return testKeys.HeadMAC(h) }
