/**
 * A seccomp BPF program for bubblewrap's --seccomp: allow everything except system calls a code
 * interpreter never needs and that are a frequent source of kernel privilege escalations (io_uring,
 * bpf, userfaultfd, perf events, keyrings, module loading, mounts, namespaces, ptrace). They fail
 * with EPERM. A process of another architecture (e.g. x32 or 32-bit calls) is killed.
 */

const BLOCKED = [
  'keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open', 'userfaultfd',
  'io_uring_setup', 'io_uring_enter', 'io_uring_register',
  'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module',
  'acct', 'swapon', 'swapoff', 'reboot', 'syslog', 'vhangup', 'quotactl', 'lookup_dcookie',
  'open_by_handle_at', 'name_to_handle_at',
  'mount', 'umount2', 'pivot_root', 'move_mount', 'open_tree', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'mount_setattr',
  'unshare', 'setns', 'ptrace', 'process_vm_readv', 'process_vm_writev',
] as const;

type Syscall = (typeof BLOCKED)[number];

/** Syscall numbers from the kernel headers (asm/unistd_64.h; asm-generic/unistd.h for arm64). */
const TABLES: Partial<Record<NodeJS.Architecture, { audit: number; x32: boolean; nr: Record<Syscall, number> }>> = {
  x64: {
    audit: 0xc000003e,
    x32: true,
    nr: {
      keyctl: 250, add_key: 248, request_key: 249, bpf: 321, perf_event_open: 298, userfaultfd: 323,
      io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427,
      kexec_load: 246, kexec_file_load: 320, init_module: 175, finit_module: 313, delete_module: 176,
      acct: 163, swapon: 167, swapoff: 168, reboot: 169, syslog: 103, vhangup: 153, quotactl: 179, lookup_dcookie: 212,
      open_by_handle_at: 304, name_to_handle_at: 303,
      mount: 165, umount2: 166, pivot_root: 155, move_mount: 429, open_tree: 428, fsopen: 430, fsconfig: 431, fsmount: 432, fspick: 433, mount_setattr: 442,
      unshare: 272, setns: 308, ptrace: 101, process_vm_readv: 310, process_vm_writev: 311,
    },
  },
  arm64: {
    audit: 0xc00000b7,
    x32: false,
    nr: {
      keyctl: 219, add_key: 217, request_key: 218, bpf: 280, perf_event_open: 241, userfaultfd: 282,
      io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427,
      kexec_load: 104, kexec_file_load: 294, init_module: 105, finit_module: 273, delete_module: 106,
      acct: 89, swapon: 224, swapoff: 225, reboot: 142, syslog: 116, vhangup: 58, quotactl: 60, lookup_dcookie: 18,
      open_by_handle_at: 265, name_to_handle_at: 264,
      mount: 40, umount2: 39, pivot_root: 41, move_mount: 429, open_tree: 428, fsopen: 430, fsconfig: 431, fsmount: 432, fspick: 433, mount_setattr: 442,
      unshare: 97, setns: 268, ptrace: 117, process_vm_readv: 270, process_vm_writev: 271,
    },
  },
};

const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const RET_K = 0x06;
const RET_ALLOW = 0x7fff0000;
const RET_KILL_PROCESS = 0x80000000;
const RET_ERRNO_EPERM = 0x00050000 | 1;
const X32_BIT = 0x40000000;

/** The program for this machine's architecture, or null when there is no table for it. */
export function seccompProgram(arch: NodeJS.Architecture = process.arch): Buffer | null {
  const table = TABLES[arch];
  if (!table) return null;
  const insns: Array<[code: number, jt: number, jf: number, k: number]> = [
    [LD_W_ABS, 0, 0, 4], // seccomp_data.arch
    [JEQ_K, 1, 0, table.audit],
    [RET_K, 0, 0, RET_KILL_PROCESS],
    [LD_W_ABS, 0, 0, 0], // seccomp_data.nr
  ];
  const checks = (table.x32 ? 1 : 0) + BLOCKED.length;
  // Each check jumps forward to the EPERM return placed after the ALLOW return.
  if (table.x32) insns.push([JGE_K, checks, 0, X32_BIT]);
  BLOCKED.forEach((name, i) => {
    const remaining = BLOCKED.length - i - 1;
    insns.push([JEQ_K, remaining + 1, 0, table.nr[name]]);
  });
  insns.push([RET_K, 0, 0, RET_ALLOW]);
  insns.push([RET_K, 0, 0, RET_ERRNO_EPERM]);
  const program = Buffer.alloc(insns.length * 8);
  insns.forEach(([code, jt, jf, k], i) => {
    program.writeUInt16LE(code, i * 8);
    program.writeUInt8(jt, i * 8 + 2);
    program.writeUInt8(jf, i * 8 + 3);
    program.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return program;
}
