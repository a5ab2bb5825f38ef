// pause is the sandbox process of every pod in the node image built here, in place of registry.k8s.io/pause (which
// cannot be pulled): it holds the pod's namespaces open, sleeps until SIGTERM or SIGINT, and reaps the zombies of
// the pod's PID namespace while it is their init, as the upstream pause does.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-v" {
		fmt.Println("pause (observatory, stands in for registry.k8s.io/pause)")
		return
	}
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for received := range signals {
		if received != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var status syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
