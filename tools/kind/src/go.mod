// The node image's two programs of our own (tools/kind/build-components.sh builds them): standard library only.
module observatory.local/kind

go 1.24
