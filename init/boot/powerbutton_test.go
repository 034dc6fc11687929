package boot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func inputEvent(typ, code uint16, value int32) []byte {
	b := make([]byte, inputEventSize)
	binary.NativeEndian.PutUint16(b[16:], typ)
	binary.NativeEndian.PutUint16(b[18:], code)
	binary.NativeEndian.PutUint32(b[20:], uint32(value))
	return b
}

func TestReadPowerKey(t *testing.T) {
	var stream bytes.Buffer
	stream.Write(inputEvent(evKey, keyPower, 1)) // press
	stream.Write(inputEvent(0, 0, 0))            // EV_SYN
	stream.Write(inputEvent(evKey, keyPower, 0)) // release: not a press
	stream.Write(inputEvent(evKey, keyPower, 2)) // autorepeat: not a press
	stream.Write(inputEvent(evKey, 30, 1))       // KEY_A
	stream.Write(inputEvent(evKey, keyPower, 1)) // second press
	stream.Write([]byte{1, 2, 3})                // torn event at the end
	presses := 0
	var failure error
	readPowerKey(&stream, func() { presses++ }, func(err error) { failure = err })
	if presses != 2 {
		t.Errorf("presses = %d, want 2", presses)
	}
	if !errors.Is(failure, io.ErrUnexpectedEOF) {
		t.Errorf("failure = %v, want unexpected EOF", failure)
	}
}

func TestPowerButtons(t *testing.T) {
	sys := t.TempDir()
	for dev, name := range map[string]string{
		"event0": "Power Button\n", "event1": "AT Translated Set 2 keyboard\n", "event2": "Power Button\n",
		"mouse0": "Power Button\n", // not an event device
	} {
		dir := filepath.Join(sys, "class", "input", dev, "device")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "name"), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := PowerButtons(sys)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/dev/input/event0", "/dev/input/event2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("PowerButtons = %v, want %v", got, want)
	}
	if _, err := WatchPowerButton(t.Context(), t.TempDir(), func(s string) { t.Log(s) }, func() {}); err == nil {
		t.Error("WatchPowerButton without sysfs input class: no error")
	}
}
