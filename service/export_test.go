package service

// EventHash exposes eventHash to the external tests, so that they can check the stored chain.
var EventHash = eventHash
