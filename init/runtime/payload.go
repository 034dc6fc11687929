package runtime

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"

	"tandem/init/failover"
)

// wireState is the heartbeat payload: the failover state the machine
// broadcasts, plus this node's data-NIC MACs, so the peer can tell its own
// ARP claims for the VIP from a stranger's.
type wireState struct {
	State failover.PeerState `json:"s"`
	MACs  []string           `json:"m,omitempty"`
}

func encodeState(s failover.PeerState, macs []net.HardwareAddr) []byte {
	w := wireState{State: s}
	for _, m := range macs {
		w.MACs = append(w.MACs, m.String())
	}
	b, _ := json.Marshal(w) // plain structs: cannot fail
	return b
}

func decodeState(b []byte) (wireState, error) {
	var w wireState
	if err := json.Unmarshal(b, &w); err != nil {
		return w, fmt.Errorf("heartbeat payload: %w", err)
	}
	if w.State.Node == "" {
		return w, fmt.Errorf("heartbeat payload: no node name")
	}
	for i, m := range w.MACs {
		w.MACs[i] = strings.ToLower(m)
	}
	return w, nil
}

// handoverMessage is what a preferred node sends, over memberlist, to ask
// the holder to hand the VIPs back (failback).
const handoverMessage = "tandem/handover/v1"
