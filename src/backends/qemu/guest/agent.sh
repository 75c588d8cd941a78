# vnvdimm's guest agent (busybox sh), delivered through fw_cfg and run by
# /init as PID 1.
#
# On the serial console (ttyS0, logged to the domain's console.log, and a shell
# for `vnvdimm console`) it reports between markers: what the guest's own ndctl found at boot, then
# READY; then one line per request served (id, size, status). On the agent port (ttyS1, a unix socket on the host) it serves
# requests, one at a time:
#
#   host:  @@@VNVDIMM-REQ <id> <n> <sum>@@@\n  then exactly <n> bytes: a base64 sh script,
#          whose sha256 starts with the 16 hex digits <sum>
#   guest: @@@VNVDIMM-ACK <id>@@@\n        the script arrived whole; it runs now
#      or  @@@VNVDIMM-NAK <id>@@@\n        it arrived damaged; send it again
#          @@@VNVDIMM-OUT <id>@@@\n <base64 stdout>
#          @@@VNVDIMM-ERR <id>@@@\n <base64 stderr>
#          @@@VNVDIMM-END <id> rc=<status>@@@\n
#
# A request that repeats the last id is not run again: its stored reply is
# sent again, so the host may resend a request whose ACK or reply it lost
# without running anything twice. Scripts run in a subshell with stdin from
# /dev/null; nothing a script does can stop the loop except powering off.
PORT=/dev/ttyS1
MAX_REQUEST=16777216

# Broken host pages under this guest's vNVDIMMs arrive as lines "<guest
# physical address> <bytes>" (opt/vnvdimm/badblocks at boot; a request's
# stdin while it runs). QEMU's NVDIMM has no ARS, so Linux would never list
# them: each range goes into the badblocks of every pmem block device over it
# (fsdax through its pfn device's data start, raw through the namespace's),
# where the pmem driver fails reads and DAX access with EIO, as it does for a
# range ARS found. BTT and device-DAX have no writable badblocks: such a range
# is reported "unmarked", and the host then stops the domain.
mark_badblocks() {
	while read -r addr len; do
		case "$addr" in 0x*) ;; *) continue ;; esac
		a=$(($addr)) e=$(($addr + $len)) hit=
		for b in /sys/block/pmem*; do
			[ -w "$b/badblocks" ] && [ -r "$b/device/resource" ] || continue
			base=$(($(cat "$b/device/resource"))) end=$(($(cat "$b/size") * 512))
			end=$((base + end)) s=$a t=$e
			[ "$s" -gt "$base" ] || s=$base
			[ "$t" -lt "$end" ] || t=$end
			[ "$s" -lt "$t" ] || continue
			first=$(((s - base) / 512)) n=$(((t - base + 511) / 512 - (s - base) / 512))
			echo "$first $n" 2>/dev/null >"$b/badblocks" && echo "marked ${b##*/} $first $n" && hit=1
		done
		[ -n "$hit" ] || echo "unmarked $addr $len"
	done
}
if [ "${1-}" = --mark-badblocks ]; then
	mark_badblocks
	exit 0
fi

for bus in /sys/bus/nd/devices/ndbus*; do
	[ -e "$bus/wait_probe" ] && cat "$bus/wait_probe" >/dev/null 2>&1
done
# From here on only emergencies reach the console: the markers stay readable.
echo 1 >/proc/sys/kernel/printk

bad=/sys/firmware/qemu_fw_cfg/by_name/opt/vnvdimm/badblocks/raw
[ -r "$bad" ] && mark_badblocks <"$bad" | sed 's/.*/@@@VNVDIMM-BADBLOCK &@@@/'

echo "@@@VNVDIMM-BOOT-BEGIN@@@"
ndctl list -R -N -D -v 2>&1
echo "@@@VNVDIMM-BOOT-END@@@"

stty -F "$PORT" raw -echo -opost 2>/dev/null
exec 3<>"$PORT"
echo "@@@VNVDIMM-READY uptime=$(cut -d' ' -f1 /proc/uptime)@@@"

# `vnvdimm console`: a root shell on the serial console, as a getty gives one,
# started again whenever it exits. busybox setsid -c makes ttyS0 its
# controlling terminal, so Ctrl-C reaches the foreground command; perl first
# restores SIGINT and SIGQUIT, which sh ignores in anything it starts with &
# (and a shell may not un-ignore what it inherited ignored).
(
	exec 3>&-
	while :; do
		perl -e '$SIG{INT} = $SIG{QUIT} = "DEFAULT"; exec @ARGV or die "exec: $!\n"' setsid -c sh -i </dev/ttyS0 >/dev/ttyS0 2>&1
		sleep 1
	done
) &

respond() { # id rc out-file err-file
	{
		echo "@@@VNVDIMM-OUT $1@@@"
		base64 "$3"
		echo "@@@VNVDIMM-ERR $1@@@"
		base64 "$4"
		echo "@@@VNVDIMM-END $1 rc=$2@@@"
	} >&3
}

refuse() { # id rc message
	echo "vnvdimm-agent: $3" >/tmp/agent.err
	: >/tmp/agent.out
	respond "$1" "$2" /tmp/agent.out /tmp/agent.err
}

nak() { # id why
	echo "vnvdimm-agent: request $1: $2, asking for it again"
	echo "@@@VNVDIMM-NAK $1@@@" >&3
}

last=
serve() { # the header line, without its markers: "<id> <n> <sum>"
	set -- $1
	id=$1 n=$2 sum=$3
	case "$id" in '' | *[!A-Za-z0-9]*) return ;; esac
	case "$n" in '' | *[!0-9]*) nak "$id" "bad length"; return ;; esac
	[ "$n" -le "$MAX_REQUEST" ] || { refuse "$id" 250 "request of $n bytes is too long"; return; }
	# A sender that dies mid-request must not wedge the agent: give up after 30 s.
	timeout 30 head -c "$n" <&3 >/tmp/req.b64
	[ "$(wc -c </tmp/req.b64)" -eq "$n" ] || { nak "$id" "truncated"; return; }
	[ "$(sha256sum </tmp/req.b64 | cut -c1-16)" = "$sum" ] || { nak "$id" "damaged"; return; }
	base64 -d /tmp/req.b64 >/tmp/req.sh 2>/dev/null || { nak "$id" "not base64"; return; }
	echo "@@@VNVDIMM-ACK $id@@@" >&3
	if [ "$id" = "$last" ]; then
		echo "vnvdimm-agent: request $id again: its reply again"
	else
		echo "vnvdimm-agent: request $id: $n bytes"
		(cd / && sh /tmp/req.sh) </dev/null >/tmp/last.out 2>/tmp/last.err
		lastrc=$?
		last=$id
		echo "vnvdimm-agent: request $id: status $lastrc, $(wc -c </tmp/last.out)+$(wc -c </tmp/last.err) bytes out"
	fi
	respond "$id" "$lastrc" /tmp/last.out /tmp/last.err
	rm -f /tmp/req.b64 /tmp/req.sh
}

while :; do
	if ! IFS= read -r line <&3; then
		sleep 1
		continue
	fi
	line=${line%"$(printf '\r')"}
	case "$line" in
	*"@@@VNVDIMM-REQ "*"@@@")
		# Whatever precedes the marker on the line (the tail of a request whose sender died) is dropped.
		line=${line##*"@@@VNVDIMM-REQ "}
		serve "${line%"@@@"}"
		;;
	esac
done
