using System.ComponentModel;
using LabRunner.Core.Hosting;
using LabRunner.Providers.HyperV.Cim;
using LabRunner.Providers.HyperV.Running;

namespace LabRunner.Providers.HyperV.Tests.Support;

/// <summary>A PowerShell that "runs" a script by printing the lines a test gives it.</summary>
internal sealed class ScriptedRunner(Func<string, IEnumerable<string>> lines, int exitCode = 0, string stderr = "") : IPowerShellRunner
{
    public ScriptedRunner(IEnumerable<string> lines, int exitCode = 0, string stderr = "") : this(_ => lines, exitCode, stderr) { }

    public List<string> Scripts { get; } = [];

    public bool FailToStart { get; init; }

    public string Executable => "powershell.exe";

    public Task<PowerShellRun> RunAsync(string script, Action<string> onStdoutLine, CancellationToken cancellationToken)
    {
        if (FailToStart) throw new PowerShellStartException(Executable, new Win32Exception(2, "The system cannot find the file specified."));
        cancellationToken.ThrowIfCancellationRequested();
        Scripts.Add(script);
        foreach (var line in lines(script)) onStdoutLine(line);
        return Task.FromResult(new PowerShellRun(exitCode, stderr));
    }
}

/// <summary>CIM records by class, as the real classes would return them; counts every query.</summary>
internal sealed class FakeCimClient(IReadOnlyDictionary<string, IReadOnlyList<CimRecord>> records) : ICimClient
{
    public List<(string Namespace, string ClassName)> Queries { get; } = [];

    public CimQueryException? Throw { get; init; }

    public Task<IReadOnlyList<CimRecord>> QueryAsync(string @namespace, string className, CancellationToken cancellationToken)
    {
        lock (Queries) Queries.Add((@namespace, className));
        if (Throw is not null && string.Equals(Throw.ClassName, className, StringComparison.OrdinalIgnoreCase)) throw Throw;
        return Task.FromResult(records.GetValueOrDefault(className) ?? []);
    }
}

internal sealed class ProgressLog : IProgress<OperationProgress>
{
    public List<OperationProgress> Events { get; } = [];

    public void Report(OperationProgress value)
    {
        lock (Events) Events.Add(value);
    }
}

/// <summary>A host's files kept in memory, as a host that is not this machine would have them (paths compared as Windows does).</summary>
internal sealed class FakeHostFiles(params string[] files) : IHostFiles
{
    private readonly HashSet<string> _files = new(files, StringComparer.OrdinalIgnoreCase);

    public Task<System.Collections.Immutable.ImmutableHashSet<string>> ExistingAsync(IEnumerable<string> paths, CancellationToken cancellationToken) =>
        Task.FromResult(System.Collections.Immutable.ImmutableHashSet.CreateRange(StringComparer.OrdinalIgnoreCase, paths.Where(_files.Contains)));

    public Task WriteAsync(string path, ReadOnlyMemory<byte> content, bool secret, CancellationToken cancellationToken)
    {
        _files.Add(path);
        return Task.CompletedTask;
    }

    public Task<System.Collections.Immutable.ImmutableArray<string>> FilesAsync(string folder, string pattern, CancellationToken cancellationToken) =>
        Task.FromResult(System.Collections.Immutable.ImmutableArray.CreateRange(_files.Where(f => IsIn(f, folder)
            && System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(pattern, f.AsSpan(f.LastIndexOfAny(['\\', '/']) + 1)))));

    public Task<System.Collections.Immutable.ImmutableArray<string>> FoldersAsync(string folder, CancellationToken cancellationToken) =>
        Task.FromResult(System.Collections.Immutable.ImmutableArray.CreateRange(_files.Select(f => f[..Math.Max(0, f.LastIndexOfAny(['\\', '/']))])
            .Where(f => IsIn(f, folder)).Distinct(StringComparer.OrdinalIgnoreCase)));

    public Task DeleteAsync(string path, CancellationToken cancellationToken)
    {
        _files.Remove(path);
        return Task.CompletedTask;
    }

    public Task DeleteFolderAsync(string folder, CancellationToken cancellationToken)
    {
        _files.RemoveWhere(f => f.StartsWith(folder.TrimEnd('\\', '/') + "\\", StringComparison.OrdinalIgnoreCase));
        return Task.CompletedTask;
    }

    private static bool IsIn(string path, string folder)
    {
        var cut = path.LastIndexOfAny(['\\', '/']);
        return cut > 0 && string.Equals(path[..cut], folder.TrimEnd('\\', '/'), StringComparison.OrdinalIgnoreCase);
    }
}
