using System.Security.Cryptography;
using LabRunner.HostCommon.Running;

namespace LabRunner.Providers.Qemu.Tests.Support;

/// <summary>
/// A network namespace that a test creates for itself (<c>lrtest-&lt;random&gt;</c>) and deletes at the end,
/// with the processes it started there killed by pid first. Network safety: live tests create bridges,
/// taps, addresses and nft tables only inside such a namespace, never in the machine's own.
/// </summary>
public sealed class TestNamespace : IAsyncDisposable
{
    private readonly List<LinuxProcess> _processes = [];

    private TestNamespace(string name) => Name = name;

    public string Name { get; }

    public static async Task<TestNamespace> CreateAsync()
    {
        var name = "lrtest-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        await HostTools.RunAsync("ip", "netns", "add", name);
        var created = new TestNamespace(name);
        try
        {
            await created.RunAsync("ip", "link", "set", "lo", "up");
        }
        catch
        {
            await created.DisposeAsync();
            throw;
        }
        return created;
    }

    /// <summary>A host command that runs in this namespace.</summary>
    public HostCommand Command(string executable, params string[] arguments) => new HostCommand(executable, arguments).InNamespace(Name);

    /// <summary>Runs a command in this namespace; fails the test unless it exits 0.</summary>
    public async Task<HostCommandResult> RunAsync(string executable, params string[] arguments)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var command = Command(executable, arguments);
        var result = await HostTools.Runner.RunAsync(command, timeout.Token);
        if (!result.Succeeded)
            throw new Xunit.Sdk.XunitException($"{command} exited {result.ExitCode}.\nstderr:\n{result.StandardError}\nstdout:\n{result.StandardOutput}");
        return result;
    }

    /// <summary>
    /// Makes <see cref="DisposeAsync"/> kill <paramref name="process"/> before deleting the namespace — that very
    /// process (pid and start time), never another that took its pid after it exited.
    /// </summary>
    public void Track(LinuxProcess process) => _processes.Add(process);

    /// <summary>Whether process <paramref name="pid"/> lives in this namespace (same network namespace inode).</summary>
    public bool Contains(int pid)
    {
        var ours = new FileInfo($"/run/netns/{Name}");
        var theirs = File.ResolveLinkTarget($"/proc/{pid}/ns/net", returnFinalTarget: false)?.Name; // "net:[4026532xxx]"
        var inode = GetInode(ours.FullName);
        return theirs == $"net:[{inode}]";
    }

    private static string GetInode(string path)
    {
        var result = HostTools.RunAsync("stat", "-L", "-c", "%i", path).GetAwaiter().GetResult();
        return result.StandardOutput.Trim();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Kill();
            await process.WaitForExitAsync(TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50));
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await HostTools.Runner.RunAsync(new HostCommand("ip", ["netns", "del", Name]), timeout.Token);
    }
}
