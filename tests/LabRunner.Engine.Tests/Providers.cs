using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Engine;

namespace LabRunner.Engine.Tests;

/// <summary>
/// Holds each VM batch until <c>expected</c> of them are in flight at once (or the timeout passes), so a test
/// proves batches overlap: run one after the other, <see cref="MaxInFlight"/> stays 1.
/// </summary>
internal sealed class OverlapProvider(IHostProvider inner, int expected, TimeSpan timeout) : IHostProvider
{
    public HostRules Rules => inner.Rules;
    public IHostFiles Files => inner.Files;

    private int _inFlight;
    private int _max;

    public int MaxInFlight => Volatile.Read(ref _max);

    public string Description => inner.Description;

    public Task<HostInventory> GetInventoryAsync(ImmutableArray<string> filesOfInterest, CancellationToken cancellationToken) =>
        inner.GetInventoryAsync(filesOfInterest, cancellationToken);

    public async Task<ApplyResult> ApplyAsync(OperationBatch batch, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        if (!batch.Label.StartsWith(LabEngine.VmBatchPrefix, StringComparison.Ordinal))
            return await inner.ApplyAsync(batch, progress, cancellationToken);
        var now = Interlocked.Increment(ref _inFlight);
        InterlockedMax(now);
        try
        {
            var deadline = DateTime.UtcNow + timeout;
            while (Volatile.Read(ref _inFlight) < expected && DateTime.UtcNow < deadline)
                await Task.Delay(10, cancellationToken);
            return await inner.ApplyAsync(batch, progress, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private void InterlockedMax(int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, value, seen) != seen) { }
    }
}

/// <summary>A host whose guest in <c>vm</c> ignores the shutdown request: Stop-VM without -TurnOff never returns.</summary>
internal sealed class IgnoredShutdownProvider(IHostProvider inner, string vm) : IHostProvider
{
    public HostRules Rules => inner.Rules;
    public IHostFiles Files => inner.Files;

    public List<HostOperation> Applied { get; } = [];

    public string Description => inner.Description;

    public Task<HostInventory> GetInventoryAsync(ImmutableArray<string> filesOfInterest, CancellationToken cancellationToken) =>
        inner.GetInventoryAsync(filesOfInterest, cancellationToken);

    public async Task<ApplyResult> ApplyAsync(OperationBatch batch, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        lock (Applied) Applied.AddRange(batch.Operations);
        if (batch.Operations.Any(o => o is StopVm { TurnOff: false } s && s.VmName == vm))
            await Task.Delay(Timeout.Infinite, cancellationToken);
        return await inner.ApplyAsync(batch, progress, cancellationToken);
    }
}

/// <summary>A host that runs <paramref name="meanwhile"/> before its first batch: another command acting while this one applies.</summary>
internal sealed class MeanwhileProvider(IHostProvider inner, Action meanwhile) : IHostProvider
{
    private int _ran;

    public HostRules Rules => inner.Rules;

    public IHostFiles Files => inner.Files;

    public string Description => inner.Description;

    public Task<HostInventory> GetInventoryAsync(ImmutableArray<string> filesOfInterest, CancellationToken cancellationToken) =>
        inner.GetInventoryAsync(filesOfInterest, cancellationToken);

    public Task<ApplyResult> ApplyAsync(OperationBatch batch, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _ran, 1) == 0) meanwhile();
        return inner.ApplyAsync(batch, progress, cancellationToken);
    }
}

/// <summary>A host that reports each operation as a copy in its own words, as the QEMU provider does (a bridge, not a switch).</summary>
internal sealed class OwnWordsProvider(IHostProvider inner, HostWords words) : IHostProvider
{
    public HostRules Rules => inner.Rules;
    public IHostFiles Files => inner.Files;

    public string Description => inner.Description;

    public Task<HostInventory> GetInventoryAsync(ImmutableArray<string> filesOfInterest, CancellationToken cancellationToken) =>
        inner.GetInventoryAsync(filesOfInterest, cancellationToken);

    public Task<ApplyResult> ApplyAsync(OperationBatch batch, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        inner.ApplyAsync(batch, progress is null ? null : new Reworded(progress, words), cancellationToken);

    private sealed class Reworded(IProgress<OperationProgress> inner, HostWords words) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value) => inner.Report(value with { Operation = value.Operation.In(words) });
    }
}

/// <summary>A host whose files are <c>files</c> (to watch what the engine does to them) rather than the inner provider's.</summary>
internal sealed class OwnFilesProvider(IHostProvider inner, IHostFiles files) : IHostProvider
{
    public HostRules Rules => inner.Rules;
    public IHostFiles Files => files;

    public string Description => inner.Description;

    public bool BootsGuests => inner.BootsGuests;

    public Task<HostInventory> GetInventoryAsync(ImmutableArray<string> filesOfInterest, CancellationToken cancellationToken) =>
        inner.GetInventoryAsync(filesOfInterest, cancellationToken);

    public Task<ApplyResult> ApplyAsync(OperationBatch batch, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        inner.ApplyAsync(batch, progress, cancellationToken);
}

/// <summary>The host's files as <c>inner</c> keeps them, with a record of every call, e.g. "write /p/.lab/vms/web/seed-1.iso".</summary>
internal sealed class RecordingHostFiles(IHostFiles inner) : IHostFiles
{
    private readonly List<string> _calls = [];

    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_calls) return [.. _calls];
        }
    }

    private void Record(string call)
    {
        lock (_calls) _calls.Add(call);
    }

    public Task<ImmutableHashSet<string>> ExistingAsync(IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        var list = paths.ToList();
        foreach (var path in list) Record("check " + path);
        return inner.ExistingAsync(list, cancellationToken);
    }

    public Task WriteAsync(string path, ReadOnlyMemory<byte> content, bool secret, CancellationToken cancellationToken)
    {
        Record("write " + path);
        return inner.WriteAsync(path, content, secret, cancellationToken);
    }

    public Task<ImmutableArray<string>> FilesAsync(string folder, string pattern, CancellationToken cancellationToken)
    {
        Record($"list {pattern} in {folder}");
        return inner.FilesAsync(folder, pattern, cancellationToken);
    }

    public Task<ImmutableArray<string>> FoldersAsync(string folder, CancellationToken cancellationToken)
    {
        Record("list folders in " + folder);
        return inner.FoldersAsync(folder, cancellationToken);
    }

    public Task DeleteAsync(string path, CancellationToken cancellationToken)
    {
        Record("delete " + path);
        return inner.DeleteAsync(path, cancellationToken);
    }

    public Task DeleteFolderAsync(string folder, CancellationToken cancellationToken)
    {
        Record("delete folder " + folder);
        return inner.DeleteFolderAsync(folder, cancellationToken);
    }
}
