using System.Collections.Immutable;
using System.Runtime.Versioning;
using LabRunner.Core.Hosting;
using LabRunner.Providers.HyperV.Cim;
using LabRunner.Providers.HyperV.Running;
using LabRunner.Providers.HyperV.Scripting;

namespace LabRunner.Providers.HyperV;

/// <summary>
/// The real Hyper-V host: reads the inventory through CIM in one round of queries and applies each
/// batch as one PowerShell script in one process (<see cref="HyperVScript"/>).
/// </summary>
public sealed class HyperVProvider : IHostProvider
{
    private readonly IPowerShellRunner _runner;
    private readonly ICimClient _cim;
    private readonly Func<string, bool> _fileExists;

    /// <param name="runner">Runs each batch's script.</param>
    /// <param name="cim">Reads the inventory.</param>
    /// <param name="hostName">For <see cref="Description"/>.</param>
    /// <param name="fileExists">Checks the files of interest; the engine runs on the host, so by default <see cref="File.Exists(string)"/>.</param>
    public HyperVProvider(IPowerShellRunner runner, ICimClient cim, string hostName, Func<string, bool>? fileExists = null)
    {
        _runner = runner;
        _cim = cim;
        _fileExists = fileExists ?? File.Exists;
        Description = $"Hyper-V on {hostName}";
    }

    /// <summary>The provider for this Windows machine: Windows PowerShell 5.1 (or <paramref name="options"/>) and local WMI.</summary>
    [SupportedOSPlatform("windows")]
    public static HyperVProvider ForLocalHost(PowerShellRunnerOptions? options = null) =>
        new(new CliWrapPowerShellRunner(options ?? PowerShellRunnerOptions.WindowsPowerShell), new MmiCimClient(), Environment.MachineName);

    public string Description { get; }

    public async Task<HostInventory> GetInventoryAsync(ImmutableArray<string> filesOfInterest, CancellationToken cancellationToken)
    {
        var records = new Dictionary<string, IReadOnlyList<CimRecord>>(StringComparer.OrdinalIgnoreCase);
        try
        {
            // One enumeration per class, all started together; joins happen in memory.
            var queries = CimClasses.InventoryQueries
                .Select(async q => (q.ClassName, Records: await _cim.QueryAsync(q.Namespace, q.ClassName, cancellationToken).ConfigureAwait(false)))
                .ToList();
            foreach (var (className, result) in await Task.WhenAll(queries).ConfigureAwait(false))
                records[className] = result;
        }
        catch (CimQueryException e)
        {
            throw new HostUnavailableException(HyperVErrors.FromCim(e));
        }

        var files = filesOfInterest.IsDefault ? [] : filesOfInterest.Where(_fileExists);
        return CimInventoryMapper.Map(records, files);
    }

    public async Task<ApplyResult> ApplyAsync(OperationBatch batch, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var operations = batch.Operations;
        if (operations.IsDefaultOrEmpty) return new ApplyResult(0, null);

        string script;
        try
        {
            script = HyperVScript.Render(batch);
        }
        catch (ArgumentException e)
        {
            return new ApplyResult(0, HyperVErrors.FromRefusedScript(e));
        }

        var completed = 0;
        ProtocolEvent.Fail? failure = null;
        void OnLine(string line)
        {
            // Only the next expected step counts: a repeated or out-of-order line changes nothing.
            switch (ScriptProtocol.Parse(line))
            {
                case ProtocolEvent.Begin b when b.Step == completed + 1 && b.Step <= operations.Length:
                    progress?.Report(new OperationProgress(batch, b.Step - 1, operations[b.Step - 1], Done: false));
                    break;
                case ProtocolEvent.Ok ok when ok.Step == completed + 1 && ok.Step <= operations.Length && failure is null:
                    completed = ok.Step;
                    progress?.Report(new OperationProgress(batch, ok.Step - 1, operations[ok.Step - 1], Done: true));
                    break;
                case ProtocolEvent.Fail f when f.Step == completed + 1 && f.Step <= operations.Length && failure is null:
                    failure = f;
                    break;
            }
        }

        PowerShellRun run;
        try
        {
            run = await _runner.RunAsync(script, OnLine, cancellationToken).ConfigureAwait(false);
        }
        catch (PowerShellStartException e)
        {
            return new ApplyResult(0, HyperVErrors.FromStartFailure(e.Executable, e.InnerException ?? e));
        }

        if (failure is not null)
            return new ApplyResult(completed, HyperVErrors.FromPowerShell(operations[failure.Step - 1], failure.Category, failure.FullyQualifiedErrorId, failure.Message));
        if (completed == operations.Length)
            return new ApplyResult(completed, null);
        return new ApplyResult(completed, HyperVErrors.FromProcessExit(_runner.Executable, run.ExitCode, run.StandardError, operations[completed]));
    }
}
