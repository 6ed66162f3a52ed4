using System.Collections.Immutable;
using System.Text;
using LabRunner.Core.Hosting;
using LabRunner.Core.Planning;

namespace LabRunner.Engine.Sync;

/// <summary>
/// A push through a provider's direct channel into a Windows guest (Hyper-V: PowerShell Direct): folders, links,
/// deletions and the token by fixed PowerShell scripts whose every value is an argument (base64, so no name is
/// ever read as a parameter or code), files copied one by one. Files belong to the account LabRunner uses.
/// </summary>
public sealed class DirectPushTransport(IDirectGuestAccess access, DirectGuest guest, string tokenDirectory = DirectPushTransport.DefaultTokenDirectory) : IPushTransport
{
    public const string DefaultTokenDirectory = @"C:\ProgramData\LabRunner\sync";

    private const string Decode = "function D([string] $v) { [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($v)) }\n" +
                                  "function P([string] $root, [string] $rel) { [IO.Path]::Combine($root, $rel.Replace([char]'/', [IO.Path]::DirectorySeparatorChar)) }\n" +
                                  "$ErrorActionPreference = 'Stop'\n";

    public const string ReadTokenScript = Decode + """
        $file = D $args[0]
        if ([IO.File]::Exists($file)) { [IO.File]::ReadAllText($file).Trim() }
        exit 0
        """;

    // .NET calls rather than cmdlets where both do: the same in Windows PowerShell 5.1 and in PowerShell 7.
    private const string Remove = """
        function Remove-LabEntry([string] $full) {
            try { $attributes = [IO.File]::GetAttributes($full) } catch [IO.IOException] { return }
            if (($attributes -band [IO.FileAttributes]::Directory) -and -not ($attributes -band [IO.FileAttributes]::ReparsePoint)) { [IO.Directory]::Delete($full, $true) }
            elseif ($attributes -band [IO.FileAttributes]::Directory) { [IO.Directory]::Delete($full) }
            else { [IO.File]::Delete($full) }
        }

        """;

    public const string DeleteScript = Decode + Remove + """
        $root = D $args[0]
        for ($i = 1; $i -lt $args.Count; $i++) { Remove-LabEntry (P $root (D $args[$i])) }
        exit 0
        """;

    /// <summary>Makes the folder, its folders and its links: arguments root, then kind (d or l), path and target per entry.</summary>
    public const string PrepareScript = Decode + Remove + """
        $root = D $args[0]
        [void][IO.Directory]::CreateDirectory($root)
        for ($i = 1; $i + 2 -lt $args.Count; $i += 3) {
            $kind = D $args[$i]; $full = P $root (D $args[$i + 1]); $target = (D $args[$i + 2]).Replace([char]'/', [IO.Path]::DirectorySeparatorChar)
            if ($kind -eq 'd') { [void][IO.Directory]::CreateDirectory($full); continue }
            Remove-LabEntry $full
            if ([IO.File].GetMethod('CreateSymbolicLink')) { [void][IO.File]::CreateSymbolicLink($full, $target) }
            else { New-Item -ItemType SymbolicLink -Path $full -Target $target -Force | Out-Null }
        }
        exit 0
        """;

    public const string TokenScript = Decode + """
        $file = D $args[0]
        [void][IO.Directory]::CreateDirectory([IO.Path]::GetDirectoryName($file))
        [IO.File]::WriteAllText($file, (D $args[1]))
        exit 0
        """;

    private string TokenFile(string key) => tokenDirectory.TrimEnd('\\', '/') + (tokenDirectory.Contains('\\', StringComparison.Ordinal) ? "\\" : "/") + key;

    public async Task<string?> ReadTokenAsync(string key, CancellationToken cancellationToken)
    {
        var lines = await RunAsync(ReadTokenScript, [TokenFile(key)], "reading the last push's token", cancellationToken).ConfigureAwait(false);
        return lines.FirstOrDefault(l => l.Length > 0);
    }

    public async Task DeleteAsync(SyncedFolderPlan folder, IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0) return;
        await RunAsync(DeleteScript, [folder.GuestPath, .. paths], "removing what the host no longer has", cancellationToken).ConfigureAwait(false);
    }

    public async Task SendAsync(SyncedFolderPlan folder, string hostRoot, IReadOnlyList<SyncEntry> entries, string key, string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(entries);
        var prepare = new List<string> { folder.GuestPath };
        foreach (var e in entries.Where(e => e.Kind != SyncEntryKind.File))
            prepare.AddRange([e.Kind == SyncEntryKind.Directory ? "d" : "l", e.Path, e.Target ?? ""]);
        await RunAsync(PrepareScript, prepare, "making folders and links", cancellationToken).ConfigureAwait(false);
        var separator = folder.GuestPath.Contains('\\', StringComparison.Ordinal) ? '\\' : '/';
        foreach (var file in entries.Where(e => e.Kind == SyncEntryKind.File))
        {
            var source = Path.Combine(hostRoot, file.Path.Replace('/', Path.DirectorySeparatorChar));
            var destination = folder.GuestPath.TrimEnd(separator) + separator + file.Path.Replace('/', separator);
            var run = await access.CopyFileAsync(guest, source, destination, cancellationToken).ConfigureAwait(false);
            if (!run.Succeeded)
                throw new SyncException($"copying '{file.Path}' to {destination} failed: {run.Failure ?? $"exit code {run.ExitCode}"}");
        }
        await RunAsync(TokenScript, [TokenFile(key), token], "recording the push", cancellationToken).ConfigureAwait(false);
    }

    private async Task<List<string>> RunAsync(string script, IEnumerable<string> values, string what, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        var errors = new List<string>();
        var args = values.Select(v => Convert.ToBase64String(Encoding.UTF8.GetBytes(v))).ToImmutableArray();
        var run = await access.RunScriptAsync(guest, new DirectScript(Encoding.UTF8.GetBytes(script), args, []),
            (line, error) => (error ? errors : lines).Add(line), cancellationToken).ConfigureAwait(false);
        if (!run.Succeeded)
            throw new SyncException($"{what} in {guest.HostVmName} failed: {run.Failure ?? $"exit code {run.ExitCode}"}" +
                (errors.Count > 0 ? ": " + string.Join(" ", errors.Take(3)) : ""));
        return lines;
    }
}
