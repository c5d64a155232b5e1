using System.Runtime.InteropServices;
using static ScriptExec.Supervisor.Processes.NativeMethods;

namespace ScriptExec.Supervisor.Processes;

/// <summary>
/// posix_spawn in a new session with a clean signal state, stdin from /dev/null or a given descriptor, stdout/stderr on given descriptors
/// and no other descriptor inherited.
/// </summary>
internal static unsafe class PosixSpawn
{
    /// <summary>
    /// Starts the child and returns its pid; <paramref name="stdinFd"/> -1 means /dev/null. Throws
    /// <see cref="ProcessStartException"/> when any step fails. With <paramref name="gate"/> the child waits at it
    /// before anything else (see <see cref="HeldSpawn"/>).
    /// </summary>
    public static int Spawn(ProcessStartSpec spec, int stdinFd, int stdoutFd, int stderrFd, SpawnGates.Gate? gate = null)
    {
        var argv = new List<string>(spec.Arguments.Count + 1) { spec.ExecutablePath };
        argv.AddRange(spec.Arguments);
        var envp = spec.Environment.Select(pair => pair.Key + "=" + pair.Value).ToList();

        byte* path = null, devNull = null, workingDirectory = null, arrived = null, release = null;
        byte** argvBlock = null, envpBlock = null;
        var fileActions = stackalloc byte[FileActionsSize];
        var attr = stackalloc byte[SpawnAttrSize];
        var emptySet = stackalloc byte[SigSetSize];
        var allSignals = stackalloc byte[SigSetSize];
        new Span<byte>(emptySet, SigSetSize).Clear();
        new Span<byte>(allSignals, SigSetSize).Clear();

        // Bit n-1 of the first word is signal n: reset all of 1..64 to default, because the runtime ignores SIGPIPE
        // and an ignored disposition survives exec. glibc skips the two it reserves for itself, and SIGKILL/SIGSTOP.
        *(ulong*)allSignals = ulong.MaxValue;

        Check(FileActionsInit(fileActions), "posix_spawn_file_actions_init");
        try
        {
            Check(SpawnAttrInit(attr), "posix_spawnattr_init");
            try
            {
                path = NativeStrings.Alloc(spec.ExecutablePath);
                devNull = NativeStrings.Alloc("/dev/null");
                workingDirectory = NativeStrings.Alloc(spec.WorkingDirectory);
                argvBlock = NativeStrings.AllocArray(argv);
                envpBlock = NativeStrings.AllocArray(envp);

                Check(SpawnAttrSetFlags(attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF), "posix_spawnattr_setflags");
                Check(SpawnAttrSetSigMask(attr, emptySet), "posix_spawnattr_setsigmask");
                Check(SpawnAttrSetSigDefault(attr, allSignals), "posix_spawnattr_setsigdefault");
                if (stdinFd < 0)
                {
                    Check(FileActionsAddOpen(fileActions, 0, devNull, O_RDONLY, 0), "posix_spawn_file_actions_addopen");
                }
                else
                {
                    Check(FileActionsAddDup2(fileActions, stdinFd, 0), "posix_spawn_file_actions_adddup2");
                }

                Check(FileActionsAddDup2(fileActions, stdoutFd, 1), "posix_spawn_file_actions_adddup2");
                Check(FileActionsAddDup2(fileActions, stderrFd, 2), "posix_spawn_file_actions_adddup2");
                Check(FileActionsAddChdir(fileActions, workingDirectory), "posix_spawn_file_actions_addchdir_np");

                // The runtime opens its own descriptors close-on-exec, but the daemon may have inherited some that are
                // not (from its parent, a test host, socket activation); a script must not get them.
                Check(FileActionsAddCloseFrom(fileActions, 3), "posix_spawn_file_actions_addclosefrom_np");
                if (gate is not null)
                {
                    // Last, when only 0-2 are open: the opens get descriptors 3 and 4 without a dup2, which an
                    // open_files limit set during the hold could refuse. Descriptor 3 stays open while it waits, so a
                    // child held when the daemon died is found by it (SpawnGates.Create); both close before the exec.
                    arrived = NativeStrings.Alloc(gate.Arrived);
                    release = NativeStrings.Alloc(gate.Release);
                    Check(FileActionsAddOpen(fileActions, 3, arrived, O_WRONLY, 0), "posix_spawn_file_actions_addopen");
                    Check(FileActionsAddOpen(fileActions, 4, release, O_RDONLY, 0), "posix_spawn_file_actions_addopen");
                    Check(FileActionsAddClose(fileActions, 4), "posix_spawn_file_actions_addclose");
                    Check(FileActionsAddClose(fileActions, 3), "posix_spawn_file_actions_addclose");
                }

                int pid;
                int error;

                // A held spawn's ticket is its spawner's (it settles when the child reaches its gate).
                var ticket = gate is null ? SpawnsInFlight.Begin() : null;
                try
                {
                    error = NativeMethods.PosixSpawn(&pid, path, fileActions, attr, argvBlock, envpBlock);
                }
                finally
                {
                    ticket?.Settle();
                }

                if (error != 0)
                {
                    throw SpawnFailure(spec, error);
                }

                return pid;
            }
            finally
            {
                _ = SpawnAttrDestroy(attr);
                NativeMemory.Free(path);
                NativeMemory.Free(devNull);
                NativeMemory.Free(workingDirectory);
                NativeMemory.Free(arrived);
                NativeMemory.Free(release);
                NativeMemory.Free(argvBlock);
                NativeMemory.Free(envpBlock);
            }
        }
        finally
        {
            _ = FileActionsDestroy(fileActions);
        }
    }

    private static void Check(int error, string call)
    {
        if (error != 0)
        {
            throw new ProcessStartException($"{call}: {ErrorText(error)}", error);
        }
    }

    // glibc reports a failed chdir and a failed exec through the same return value; name the step that most
    // likely failed so "No such file or directory" points at the right path.
    private static ProcessStartException SpawnFailure(ProcessStartSpec spec, int error)
    {
        var step = Directory.Exists(spec.WorkingDirectory)
            ? $"exec {spec.ExecutablePath}"
            : $"chdir {spec.WorkingDirectory}";
        return new ProcessStartException($"{step}: {ErrorText(error)}", error);
    }
}
