# vnvdimm's guest agent (busybox sh), delivered through fw_cfg and run by
# /init as PID 1.
#
# On the serial console (ttyS0, captured to the domain's console.log) it
# reports between markers: what the guest's own ndctl found at boot, then
# READY; then one line per request served (id, size, status). On the agent port (ttyS1, a unix socket on the host) it serves
# requests, one at a time:
#
#   host:  @@@VNVDIMM-REQ <id> <n>@@@\n  then exactly <n> bytes: a base64 sh script
#   guest: @@@VNVDIMM-OUT <id>@@@\n <base64 stdout>
#          @@@VNVDIMM-ERR <id>@@@\n <base64 stderr>
#          @@@VNVDIMM-END <id> rc=<status>@@@\n
#
# Scripts run in a subshell with stdin from /dev/null; nothing a script does
# can stop the loop except powering off.
PORT=/dev/ttyS1
MAX_REQUEST=16777216

for bus in /sys/bus/nd/devices/ndbus*; do
	[ -e "$bus/wait_probe" ] && cat "$bus/wait_probe" >/dev/null 2>&1
done
# From here on only emergencies reach the console: the markers stay readable.
echo 1 >/proc/sys/kernel/printk

echo "@@@VNVDIMM-BOOT-BEGIN@@@"
ndctl list -R -N -D -v 2>&1
echo "@@@VNVDIMM-BOOT-END@@@"

stty -F "$PORT" raw -echo -opost 2>/dev/null
exec 3<>"$PORT"
echo "@@@VNVDIMM-READY uptime=$(cut -d' ' -f1 /proc/uptime)@@@"

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

serve() { # the header line, without its markers: "<id> <n>"
	set -- $1
	id=$1 n=$2
	case "$id" in '' | *[!A-Za-z0-9]*) return ;; esac
	case "$n" in '' | *[!0-9]*) refuse "$id" 250 "bad request length"; return ;; esac
	[ "$n" -le "$MAX_REQUEST" ] || { refuse "$id" 250 "request of $n bytes is too long"; return; }
	# A sender that dies mid-request must not wedge the agent: give up after 30 s.
	timeout 30 head -c "$n" <&3 >/tmp/req.b64
	[ "$(wc -c </tmp/req.b64)" -eq "$n" ] || { refuse "$id" 251 "request truncated"; return; }
	base64 -d /tmp/req.b64 >/tmp/req.sh 2>/dev/null || { refuse "$id" 252 "request is not base64"; return; }
	echo "vnvdimm-agent: request $id: $n bytes"
	(cd / && sh /tmp/req.sh) </dev/null >/tmp/req.out 2>/tmp/req.err
	rc=$?
	echo "vnvdimm-agent: request $id: status $rc, $(wc -c </tmp/req.out)+$(wc -c </tmp/req.err) bytes out"
	respond "$id" "$rc" /tmp/req.out /tmp/req.err
	rm -f /tmp/req.b64 /tmp/req.sh /tmp/req.out /tmp/req.err
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
