package mux

// sysSendmmsg is sendmmsg(2)'s system call number, which package syscall
// does not define on linux/amd64.
const sysSendmmsg = 307
