using System.Security.Cryptography;
using System.Text;
using LabRunner.Core.Labfile;

namespace LabRunner.Engine.Guests;

/// <summary>
/// Runs a VM's provisioners in order over an SSH session or another <see cref="IProvisionTransport"/>. The first failure stops that VM's provisioning;
/// <c>once</c> items are recorded in <c>.lab/state.json</c> with a hash of their content and skipped while
/// it is unchanged; <c>never</c> items are skipped.
/// </summary>
public sealed class ProvisionRunner(LabProject project, IGuestReporter reporter)
{
    /// <summary>Null when every provisioner succeeded (or was skipped); else what failed, with its exit code and Labfile position.</summary>
    public Task<string?> RunAsync(VmDefinition vm, IGuestSession session, CancellationToken cancellationToken) =>
        RunAsync(vm, new SshProvisionTransport(session ?? throw new ArgumentNullException(nameof(session))), cancellationToken);

    /// <summary>As over SSH, through any transport: the same order, skipping, state and reporting.</summary>
    public async Task<string?> RunAsync(VmDefinition vm, IProvisionTransport transport, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(transport);
        foreach (var p in vm.Provisioners)
        {
            if (p.Run == ProvisionRun.Never) continue;
            string? hostPath;
            byte[] content;
            try
            {
                (hostPath, content) = Prepare(p);
            }
            catch (Exception ex) when (ex is ProjectInputException or IOException or UnauthorizedAccessException)
            {
                return $"provisioner {Describe(p)} at {Position(p)}: {ex.Message}";
            }
            var hash = Hash(p, content);
            if (p.Run == ProvisionRun.Once && Recorded(vm.Name, p.Key) == hash)
            {
                reporter.Output(vm.Name, $"{Describe(p)}: already done (run: once)", error: false);
                continue;
            }
            reporter.Output(vm.Name, $"{Describe(p)}", error: false);
            void Stdout(string line) => reporter.Output(vm.Name, line, false);
            void Stderr(string line) => reporter.Output(vm.Name, line, true);
            int code;
            try
            {
                code = p switch
                {
                    ShellProvisionerDefinition s => await transport.ShellAsync(s, content, Stdout, Stderr, cancellationToken).ConfigureAwait(false),
                    FileProvisionerDefinition f => await transport.FileAsync(f, hostPath!, content, Stdout, Stderr, cancellationToken).ConfigureAwait(false),
                    _ => throw new InvalidOperationException($"unknown provisioner {p.GetType().Name}"),
                };
            }
            catch (GuestConnectionException ex)
            {
                // The connection dropped (the guest rebooted, sshd restarted, the host too loaded to answer): whether
                // the item finished is unknown, so it is not recorded and the next 'lab provision' runs it again.
                return $"provisioner {Describe(p)} at {Position(p)} did not finish: {ex.Message}";
            }
            if (code != 0)
                return $"provisioner {Describe(p)} at {Position(p)} failed with exit code {code}";
            if (p.Run == ProvisionRun.Once) Record(vm.Name, p.Key, hash);
        }
        return null;
    }

    private static string Position(ProvisionerDefinition p) => $"{p.Span.File}:{p.Span.Line}:{p.Span.Column}";

    public static string Describe(ProvisionerDefinition p) => p switch
    {
        ShellProvisionerDefinition { Path: { } path } => $"{p.Key} shell {path}",
        ShellProvisionerDefinition => $"{p.Key} shell (inline)",
        FileProvisionerDefinition f => $"{p.Key} file {f.Source} -> {f.Destination}",
        _ => p.Key,
    };

    /// <summary>The file on the host the item names (none for inline scripts) and its content.</summary>
    private (string? HostPath, byte[] Content) Prepare(ProvisionerDefinition p) => p switch
    {
        ShellProvisionerDefinition { Inline: { } inline } => (null, Encoding.UTF8.GetBytes(inline)),
        ShellProvisionerDefinition { Path: { } path } => Read(path),
        FileProvisionerDefinition f => Read(f.Source),
        _ => throw new InvalidOperationException($"unknown provisioner {p.GetType().Name}"),
    };

    private (string HostPath, byte[] Content) Read(string path)
    {
        var full = project.ProvisionPath(path);
        return File.Exists(full) ? (full, File.ReadAllBytes(full)) : throw new ProjectInputException($"provisioner file '{path}' does not exist (next to the Labfile)");
    }

    /// <summary>What makes the provisioner what it is: its content and everything that changes how it runs.</summary>
    public static string Hash(ProvisionerDefinition p, byte[] content)
    {
        var what = p switch
        {
            ShellProvisionerDefinition s => $"shell\n{s.Privileged}\n{string.Join('\0', s.Args)}\n{string.Join('\0', s.Env.Select(e => e.Key + "=" + e.Value))}",
            FileProvisionerDefinition f => $"file\n{f.Destination}",
            _ => p.GetType().Name,
        };
        var header = Encoding.UTF8.GetBytes("labrunner-provision-v1\n" + what + "\n");
        return Convert.ToHexStringLower(SHA256.HashData([.. header, .. content]));
    }

    private string? Recorded(string vm, string key)
    {
        lock (ProjectState.Gate)
            return ProjectState.LoadOrCreate(project.StateDirectory).Provisioned.GetValueOrDefault(vm)?.GetValueOrDefault(key);
    }

    private void Record(string vm, string key, string hash) =>
        ProjectState.Update(project.StateDirectory, state =>
        {
            if (!state.Provisioned.TryGetValue(vm, out var items))
                state.Provisioned[vm] = items = new Dictionary<string, string>(StringComparer.Ordinal);
            items[key] = hash;
            return true;
        });
}
