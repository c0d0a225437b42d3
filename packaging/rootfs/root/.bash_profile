# On tty1 the session is the bench app (packaging/rootfs/usr/local/sbin/bench-session).
if [ "$(tty)" = /dev/tty1 ]; then
  exec /usr/local/sbin/bench-session
fi
