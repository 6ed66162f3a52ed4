using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LabRunner.Core.Hosting;
using LabRunner.Core.Providers;
using LabRunner.HostCommon.Files;
using LabRunner.Simulation.Model;

namespace LabRunner.Simulation;

/// <summary>
/// One simulated Hyper-V host, kept in a JSON file (or only in memory, for tests).
/// <para>
/// Every change is one <see cref="Mutate{T}"/> call: under an in-process lock and an exclusive
/// cross-process lock file (<c>FILE.lock</c>), the current file is read, the change is applied to that
/// fresh copy by <see cref="HostModel"/> (which enforces Hyper-V's and WinNAT's rules), and the result
/// is written atomically (temporary file, then rename) before the locks are released. Several
/// processes and several instances on one file therefore never lose each other's changes, and a crash
/// keeps every change made before it.
/// </para>
/// <para>
/// A batch (<see cref="OpenBatch"/>) holds the cross-process lock and one copy of the host from its
/// start to its end: its changes go to that copy, one <see cref="Mutate{T}"/> call each (so fault
/// injection still counts every change), and the file is written once when the batch closes. Rewriting
/// the whole file for every change made <c>lab up</c> quadratic in the number of VMs. Batches open at
/// once in one instance (the engine's parallel VM batches) share the copy and still interleave change
/// by change; other processes wait for the lock. A crash in a batch loses that batch's changes, as if
/// the batch had not run.
/// </para>
/// <para>
/// Fault injection: when <see cref="FailAtOperation"/> is N, the Nth mutating call counted from the
/// moment it was set fails with <see cref="HostErrorKind.Failed"/> before changing anything; later
/// calls succeed again. The count is per instance, and so per process: <c>LABRUNNER_SIM_FAIL_AT=N</c>
/// sets it on the host <see cref="FromEnvironment"/> creates, which makes the Nth change of that one
/// process (one CLI run) fail, whatever other processes do to the same file.
/// </para>
/// </summary>
public sealed class SimulatedHost
{
    /// <summary>Path of the host file; default <see cref="DefaultFilePath"/>.</summary>
    public const string PathVariable = "LABRUNNER_SIM_HOST";

    /// <summary>A positive integer N: the Nth mutating call of this process fails.</summary>
    public const string FailAtVariable = "LABRUNNER_SIM_FAIL_AT";

    public const string FileName = "simulated-host.json";

    private readonly Lock _gate = new();
    private SimulatedHostState? _memory;
    private int? _failAt;
    private int _callsSinceFaultSet;
    private long _mutations;
    private SimulatedHostState? _open;
    private FileLock? _openLock;
    private int _openBatches;
    private bool _openChanged;

    /// <summary>A host kept in <paramref name="filePath"/>; the file need not exist (the default host is used until the first change).</summary>
    public SimulatedHost(string filePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(filePath);
        FilePath = Path.GetFullPath(filePath);
    }

    private SimulatedHost(SimulatedHostState state)
    {
        _memory = state;
    }

    /// <summary>A host that lives only in this object: for tests that need no file.</summary>
    public static SimulatedHost InMemory(SimulatedHostState? initial = null)
    {
        var state = initial is null ? DefaultHost.Create() : SimulatedHostJson.Clone(initial);
        Normalize(state);
        return new SimulatedHost(state);
    }

    /// <summary>
    /// The host of <c>LABRUNNER_SIM_HOST</c> (relative to <paramref name="workingDirectory"/>; else the per-user default
    /// file), failing as <c>LABRUNNER_SIM_FAIL_AT</c> asks; the one reading of both variables, for the CLI and the tests' worker.
    /// </summary>
    /// <exception cref="ProviderException">LABRUNNER_SIM_FAIL_AT is not a positive whole number.</exception>
    public static SimulatedHost FromEnvironment(Func<string, string?> getVariable, string workingDirectory)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        var path = getVariable(PathVariable) is { Length: > 0 } p ? Path.GetFullPath(p, workingDirectory) : DefaultFilePath(getVariable);
        var host = new SimulatedHost(path);
        if (getVariable(FailAtVariable) is { Length: > 0 } failAt)
            host.FailAtOperation = int.TryParse(failAt, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : throw new ProviderException($"{FailAtVariable}='{failAt}' is not a positive whole number");
        return host;
    }

    /// <summary>
    /// Where the host lives when <c>LABRUNNER_SIM_HOST</c> names no file: <c>%LOCALAPPDATA%\LabRunner\simulated-host.json</c>
    /// on Windows and <c>$XDG_STATE_HOME/labrunner/simulated-host.json</c> (default <c>~/.local/state</c>) elsewhere.
    /// </summary>
    public static string DefaultFilePath(Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        if (OperatingSystem.IsWindows())
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "LabRunner", FileName);
        var state = getVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(state) || !Path.IsPathRooted(state))
            state = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return Path.Combine(state, "labrunner", FileName);
    }

    /// <summary>The host file, or null for an in-memory host.</summary>
    public string? FilePath { get; }

    public string Description => FilePath is null ? "simulated host (in memory)" : $"simulated host at {FilePath}";

    /// <summary>The host's clock: when checkpoints are taken. Tests give a fake one.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>How long a change waits for another process's lock on the file before giving up.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>1-based: the Nth mutating call from now fails with an injected fault; null turns injection off.</summary>
    public int? FailAtOperation
    {
        get { lock (_gate) return _failAt; }
        set
        {
            if (value is < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "The call to fail is counted from 1.");
            lock (_gate)
            {
                _failAt = value;
                _callsSinceFaultSet = 0;
            }
        }
    }

    /// <summary>Mutating calls made through this instance (including refused and injected ones).</summary>
    public long MutationCount => Interlocked.Read(ref _mutations);

    /// <summary>Reads the host. The model handed to <paramref name="read"/> must not be changed or kept.</summary>
    /// <exception cref="HostUnavailableException">The host file cannot be read.</exception>
    public T Read<T>(Func<HostModel, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        lock (_gate)
        {
            if (_open is not null) return read(new HostModel(_open, Clock));
            if (FilePath is null) return read(new HostModel(_memory!, Clock));
        }
        // The file is replaced atomically, so a reader always sees a whole host without taking the lock.
        return read(new HostModel(Load(), Clock));
    }

    /// <summary>A deep copy of the whole host.</summary>
    public SimulatedHostState Snapshot() => Read(m => SimulatedHostJson.Clone(m.State));

    public HostInventory GetInventory(IEnumerable<string> filesOfInterest) => Read(m => m.Inventory(filesOfInterest));

    /// <summary>
    /// Applies one change under the host's locks and saves it. <paramref name="change"/> works on a
    /// fresh copy of the host; if it throws, nothing is saved.
    /// </summary>
    /// <exception cref="SimulatedHostException">The host refused the change (or a fault was injected).</exception>
    /// <exception cref="HostUnavailableException">The host file cannot be read, locked or written.</exception>
    public T Mutate<T>(Func<HostModel, T> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_gate)
        {
            if (_open is not null)
            {
                Interlocked.Increment(ref _mutations);
                var counted = ++_callsSinceFaultSet;
                if (_failAt == counted) throw WindowsErrors.Injected(counted);
                // HostModel checks every rule before it changes anything, so a refused change leaves the copy as it was.
                var changed = change(new HostModel(_open, Clock));
                _openChanged = true;
                return changed;
            }
            using var fileLock = FilePath is null ? null : AcquireFileLock();
            var state = FilePath is null ? SimulatedHostJson.Clone(_memory!) : Load();
            state.Vhds.RemoveAll(v => v.Placeholder && !File.Exists(v.Path));
            Interlocked.Increment(ref _mutations);
            var call = ++_callsSinceFaultSet;
            if (_failAt == call) throw WindowsErrors.Injected(call);
            var result = change(new HostModel(state, Clock));
            if (FilePath is null) _memory = state;
            else Save(state);
            return result;
        }
    }

    public void Mutate(Action<HostModel> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        Mutate<object?>(m =>
        {
            change(m);
            return null;
        });
    }

    /// <summary>
    /// Starts a batch of changes that is written to the file once, when the returned object is disposed
    /// (see the class remarks). Batches may nest and overlap within this instance.
    /// </summary>
    /// <exception cref="HostUnavailableException">The host file cannot be locked or read.</exception>
    public IDisposable OpenBatch()
    {
        lock (_gate)
        {
            if (_openBatches == 0)
            {
                if (FilePath is null)
                {
                    _open = _memory;
                }
                else
                {
                    var fileLock = AcquireFileLock();
                    try
                    {
                        _open = Load();
                    }
                    catch
                    {
                        fileLock.Dispose();
                        throw;
                    }
                    _openLock = fileLock;
                }
                _openChanged = false;
            }
            _openBatches++;
        }
        return new Batch(this);
    }

    private void CloseBatch()
    {
        lock (_gate)
        {
            try
            {
                // Remove-Item deletes a placeholder file behind the model's back (each lone change drops such entries on load).
                _open!.Vhds.RemoveAll(v => v.Placeholder && !File.Exists(v.Path));
                if (FilePath is not null && _openChanged) Save(_open);
                _openChanged = false;
            }
            finally
            {
                if (--_openBatches == 0)
                {
                    if (FilePath is null) _memory = _open;
                    _open = null;
                    _openLock?.Dispose();
                    _openLock = null;
                }
            }
        }
    }

    private sealed class Batch(SimulatedHost host) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0) host.CloseBatch();
        }
    }

    /// <summary>Replaces the whole host (a test's or user's starting point). Not a mutating call: fault injection does not count it.</summary>
    public void Replace(SimulatedHostState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var copy = SimulatedHostJson.Clone(state);
        Normalize(copy);
        lock (_gate)
        {
            if (_open is not null) throw new InvalidOperationException("The simulated host cannot be replaced while a batch is open.");
            if (FilePath is null)
            {
                _memory = copy;
                return;
            }
            using var fileLock = AcquireFileLock();
            Save(copy);
        }
    }

    // ---------------------------------------------------------------- file

    private SimulatedHostState Load()
    {
        var path = FilePath!;
        string json;
        try
        {
            json = ReadWithRetry(path);
        }
        catch (FileNotFoundException)
        {
            var fresh = DefaultHost.Create();
            Normalize(fresh);
            return fresh;
        }
        catch (DirectoryNotFoundException)
        {
            var fresh = DefaultHost.Create();
            Normalize(fresh);
            return fresh;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unavailable(Directory.Exists(path)
                ? $"The simulated host file '{path}' is a folder. Move it away (LabRunner then starts from the default host), or point {PathVariable} at a file."
                : $"The simulated host file '{path}' cannot be read: {FileFailure.Reason(e)}. Check its permissions, or move it away to start again from the default host.");
        }

        SimulatedHostState state;
        try
        {
            state = SimulatedHostJson.Deserialize(json);
        }
        catch (JsonException e)
        {
            // JsonException's own text is a resource key in the native-AOT build; its position is enough.
            var where = e.LineNumber is { } line ? string.Create(CultureInfo.InvariantCulture, $" (line {line + 1}, {e.Path})") : "";
            var what = e is HostValueException ? e.Message : "it is truncated, damaged or not a host file.";
            throw Unavailable($"The simulated host file '{path}' is not a valid simulated host{where}: {what} Repair it, or move it away to start again from the default host.");
        }
        if (state.Version > SimulatedHostState.CurrentVersion)
            throw Unavailable(string.Create(CultureInfo.InvariantCulture,
                $"The simulated host file '{path}' has version {state.Version}; this LabRunner reads version {SimulatedHostState.CurrentVersion}. Update LabRunner, or move the file away to start again from the default host."));
        Normalize(state);
        return state;
    }

    private static string ReadWithRetry(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                // FileShare.Delete: a writer in another process may rename its new file over this one meanwhile.
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                return reader.ReadToEnd();
            }
            catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException && attempt < 20)
            {
                Thread.Sleep(10);
            }
        }
    }

    private void Save(SimulatedHostState state)
    {
        var path = FilePath!;
        try
        {
            // The one atomic writer: unique temporary name, flushed, renamed; a killed run's leftovers go.
            AtomicFile.WriteAllText(path, SimulatedHostJson.Serialize(state) + "\n", ownerOnly: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unavailable($"The simulated host file '{path}' cannot be written: {FileFailure.Reason(e)}.");
        }
    }

    private FileLock AcquireFileLock()
    {
        var path = FilePath! + ".lock";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unavailable($"The folder of the simulated host file '{FilePath}' cannot be created: {FileFailure.Reason(e)}.");
        }
        try
        {
            return FileLock.Acquire(path, LockTimeout, ownerOnly: false);
        }
        catch (TimeoutException)
        {
            throw Unavailable(string.Create(CultureInfo.InvariantCulture,
                $"Another process has held the lock '{path}' of the simulated host for more than {LockTimeout.TotalSeconds:0} s. Wait for it to finish (or end it), then run the command again."));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unavailable(Directory.Exists(path)
                ? $"The lock file '{path}' of the simulated host is a folder; remove it (LabRunner creates the lock file itself)."
                : $"The lock file '{path}' of the simulated host cannot be opened: {FileFailure.Reason(e)}.");
        }
    }

    private static HostUnavailableException Unavailable(string message) => new(new HostError(HostErrorKind.Unavailable, message));

    /// <summary>
    /// Fills what a hand-written file may leave out, deterministically so that every process reading the
    /// same file sees the same ids: interface indexes, switch/VM/adapter ids (from their names); and drops
    /// VHD entries whose placeholder file was deleted behind the model's back (Remove-Item).
    /// </summary>
    internal static void Normalize(SimulatedHostState state)
    {
        var model = new HostModel(state);
        foreach (var adapter in state.NetAdapters.Where(a => a.InterfaceIndex <= 0))
            adapter.InterfaceIndex = model.NextInterfaceIndex();
        foreach (var sw in state.Switches.Where(s => s.Id == Guid.Empty))
            sw.Id = NameGuid("switch", sw.Name);
        foreach (var vm in state.Vms)
        {
            if (vm.Id == Guid.Empty) vm.Id = NameGuid("vm", vm.Name);
            for (var i = 0; i < vm.NetworkAdapters.Count; i++)
            {
                if (vm.NetworkAdapters[i].Id == Guid.Empty)
                    vm.NetworkAdapters[i].Id = NameGuid("adapter", string.Create(CultureInfo.InvariantCulture, $"{vm.Name}/{i}/{vm.NetworkAdapters[i].Name}"));
            }
        }
        state.Vhds.RemoveAll(v => v.Placeholder && !File.Exists(v.Path));
    }

    private static Guid NameGuid(string kind, string name)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(kind + ":" + name.ToUpperInvariant()));
        return new Guid(hash.AsSpan(0, 16));
    }
}
