# daxio.pl — reads or writes a device-dax character device (/dev/daxX.Y).
# Device DAX has no read(2) or write(2), only mmap(2), and the guest image has
# no compiler, so this maps the device with perl's syscall() (x86-64 numbers)
# and moves bytes between the mapping and stdin/stdout with read/write, which
# take the mapping's address. The mapping is aligned to the device's
# alignment (2 MiB by default), as device_dax's check_vma demands.
#
#   perl daxio.pl read  DEV OFFSET LENGTH ALIGN   > bytes
#   perl daxio.pl write DEV OFFSET LENGTH ALIGN   < bytes
my ($op, $dev, $off, $len, $align) = @ARGV;
die "usage: daxio.pl read|write DEV OFFSET LENGTH ALIGN\n" unless defined $align && $op =~ /^(read|write)$/;
($off, $len, $align) = ($off + 0, $len + 0, $align + 0);
my ($SYS_read, $SYS_write, $SYS_mmap, $SYS_msync, $SYS_munmap) = (0, 1, 9, 26, 11);
my ($PROT_RW, $MAP_SHARED, $MS_SYNC) = (3, 1, 4);
open(my $fh, "+<", $dev) or die "daxio: $dev: $!\n";
my $start = $off - $off % $align;
my $end = $off + $len;
$end += $align - $end % $align if $end % $align;
my $size = $end - $start;
my $addr = syscall($SYS_mmap, 0, $size, $PROT_RW, $MAP_SHARED, fileno($fh), $start);
die "daxio: mmap $dev: $!\n" if $addr == -1;
my $at = $addr + ($off - $start);
my $left = $len;
while ($left > 0) {
	my $n = $op eq "read" ? syscall($SYS_write, 1, $at, $left) : syscall($SYS_read, 0, $at, $left);
	die "daxio: $op: $!\n" if $n < 0;
	die "daxio: short input\n" if $n == 0;
	($at, $left) = ($at + $n, $left - $n);
}
syscall($SYS_msync, $addr, $size, $MS_SYNC) if $op eq "write";
syscall($SYS_munmap, $addr, $size);
