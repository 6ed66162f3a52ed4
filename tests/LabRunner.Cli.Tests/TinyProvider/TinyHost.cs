using System.Collections.Immutable;
using LabRunner.Core.Hosting;

namespace LabRunner.Cli.Tests.TinyProvider;

/// <summary>An empty host that previews each operation as one line of its own and refuses to change anything.</summary>
internal sealed class TinyHost : IHostProvider
{
    public string Description => "tiny host (a test's)";

    public HostRules Rules => TinyRules.Instance;

    public IHostFiles Files => LabRunner.HostCommon.Files.LocalHostFiles.Instance;

    public string? Preview(OperationBatch batch) =>
        string.Join('\n', batch.Operations.Select(o => "tiny-do " + o.Describe()));

    public string PreviewHeading(string batchLabel) => $"tiny commands for '{batchLabel}'";

    public Task<HostInventory> GetInventoryAsync(ImmutableArray<string> filesOfInterest, CancellationToken cancellationToken) =>
        Task.FromResult(HostInventory.Empty with { Files = [.. filesOfInterest.Where(File.Exists)] });

    public Task<ApplyResult> ApplyAsync(OperationBatch batch, IProgress<OperationProgress>? progress, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("the tiny host only previews");
}
