// kindnetd is a stand-in for kind's kindnetd (docker.io/kindest/kindnetd, whose source the Go module proxy does not
// serve): the pod network of a kind cluster, in its simplest form. On every node, every 5 seconds, it reads the
// nodes from the API server and
//   - writes /etc/cni/net.d/10-kindnet.conflist: ptp (a veth per pod) with host-local addresses from this node's
//     podCIDR, then portmap (hostPort), as kindnetd does;
//   - routes every other node's podCIDR via that node's InternalIP (`ip route replace`), so pods on different nodes
//     reach each other across kind's docker network.
//
// What it lacks against the real kindnetd: no masquerade (a pod's traffic to addresses outside the cluster leaves
// with the pod's IP, so it reaches the nodes and the other pods but not the host or beyond), no NetworkPolicy (the
// policies the charts ship are not enforced), IPv4 only, and polling instead of a watch.
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

const (
	serviceAccount = "/var/run/secrets/kubernetes.io/serviceaccount"
	cniConfig      = "/etc/cni/net.d/10-kindnet.conflist"
)

type nodeList struct {
	Items []struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			PodCIDRs []string `json:"podCIDRs"`
		} `json:"spec"`
		Status struct {
			Addresses []struct {
				Type    string `json:"type"`
				Address string `json:"address"`
			} `json:"addresses"`
		} `json:"status"`
	} `json:"items"`
}

type node struct{ name, ip, podCIDR string }

func main() {
	hostIP := os.Getenv("HOST_IP")
	if hostIP == "" {
		fail("HOST_IP is not set (the DaemonSet passes status.hostIP)")
	}
	client, url := apiClient()
	for {
		if err := sync(client, url, hostIP); err != nil {
			fmt.Fprintln(os.Stderr, "kindnetd:", err)
		}
		time.Sleep(5 * time.Second)
	}
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "kindnetd:", message)
	os.Exit(1)
}

// apiClient reaches the in-cluster API server: its Service address and CA (the token is read per request).
func apiClient() (*http.Client, string) {
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	ca, err := os.ReadFile(filepath.Join(serviceAccount, "ca.crt"))
	if err != nil || host == "" {
		fail("not running in a pod with a service account (KUBERNETES_SERVICE_HOST, ca.crt)")
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	return client, "https://" + net.JoinHostPort(host, port) + "/api/v1/nodes"
}

func nodes(client *http.Client, url string) ([]node, error) {
	token, err := os.ReadFile(filepath.Join(serviceAccount, "token")) // re-read: the kubelet rotates it
	if err != nil {
		return nil, err
	}
	request, _ := http.NewRequest(http.MethodGet, url, nil)
	request.Header.Set("Authorization", "Bearer "+string(bytes.TrimSpace(token)))
	response, err := client.Do(request)
	if err != nil {
		return nil, err
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, response.Status)
	}
	var list nodeList
	if err := json.NewDecoder(response.Body).Decode(&list); err != nil {
		return nil, err
	}
	var found []node
	for _, item := range list.Items {
		n := node{name: item.Metadata.Name}
		for _, address := range item.Status.Addresses {
			if address.Type == "InternalIP" && net.ParseIP(address.Address).To4() != nil {
				n.ip = address.Address
			}
		}
		for _, cidr := range item.Spec.PodCIDRs {
			if ip, _, err := net.ParseCIDR(cidr); err == nil && ip.To4() != nil {
				n.podCIDR = cidr
			}
		}
		found = append(found, n)
	}
	return found, nil
}

func sync(client *http.Client, url, hostIP string) error {
	all, err := nodes(client, url)
	if err != nil {
		return err
	}
	for _, n := range all {
		if n.ip == "" || n.podCIDR == "" {
			continue
		}
		if n.ip == hostIP {
			if err := writeConfig(n.podCIDR); err != nil {
				return err
			}
			continue
		}
		if out, err := exec.Command("ip", "route", "replace", n.podCIDR, "via", n.ip).CombinedOutput(); err != nil {
			return fmt.Errorf("route %s via %s (%s): %v: %s", n.podCIDR, n.ip, n.name, err, out)
		}
	}
	return nil
}

// writeConfig writes the CNI config for this node's podCIDR, atomically and only when it changes.
func writeConfig(podCIDR string) error {
	config := fmt.Sprintf(`{
  "cniVersion": "0.4.0",
  "name": "kindnet",
  "plugins": [
    {
      "type": "ptp",
      "ipMasq": false,
      "ipam": {
        "type": "host-local",
        "dataDir": "/run/cni-ipam-state",
        "routes": [{"dst": "0.0.0.0/0"}],
        "ranges": [[{"subnet": "%s"}]]
      },
      "mtu": 1500
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
`, podCIDR)
	if current, err := os.ReadFile(cniConfig); err == nil && string(current) == config {
		return nil
	}
	part := cniConfig + ".part"
	if err := os.WriteFile(part, []byte(config), 0o644); err != nil {
		return err
	}
	fmt.Println("kindnetd: CNI config written for", podCIDR)
	return os.Rename(part, cniConfig)
}
