using System.Security.Cryptography;

namespace LabRunner.RealGuests.Tests.Support;

/// <summary>
/// Two namespaces with a unique suffix: <c>lrhost-X</c>, the lab host where LabRunner runs, and <c>lrup-X</c>,
/// which stands in for the internet. A veth pair joins them (host 198.51.100.2/24, upstream 198.51.100.1/24,
/// TEST-NET-2); the host's default route goes to the upstream, which has no route anywhere else, so no packet
/// leaves the two namespaces. The upstream runs an HTTP server that logs each client's address.
/// Nothing is made in the machine's own namespace.
/// </summary>
public sealed class Topology : IAsyncDisposable
{
    public const string HostUplinkIp = "198.51.100.2";
    public const string UpstreamIp = "198.51.100.1";
    public const int UpstreamPort = 8000;
    public const string HostUplink = "uplink0";
    public const string UpstreamLink = "wan0";

    private RunningProc? _server;

    private Topology(string suffix, Netns host, Netns upstream, string www)
    {
        Suffix = suffix;
        Host = host;
        Upstream = upstream;
        Www = www;
    }

    public string Suffix { get; }
    public Netns Host { get; }
    public Netns Upstream { get; }
    public string Www { get; }

    public string UpstreamUrl(string path) => $"http://{UpstreamIp}:{UpstreamPort}/{path.TrimStart('/')}";

    /// <summary>The upstream server's log: one line per request, starting with the client's address.</summary>
    public IReadOnlyList<string> UpstreamLog => _server is null ? [] : [.. _server.Stderr];

    public static async Task<Topology> CreateAsync(string workDirectory)
    {
        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var host = await Netns.CreateAsync($"lrhost-{suffix}");
        Netns? upstream = null;
        try
        {
            upstream = await Netns.CreateAsync($"lrup-{suffix}");
            var www = Directory.CreateDirectory(Path.Combine(workDirectory, "upstream-www")).FullName;
            await File.WriteAllTextAsync(Path.Combine(www, "hello.txt"), "hello from upstream\n");
            var topology = new Topology(suffix, host, upstream, www);
            await topology.WireAsync();
            return topology;
        }
        catch
        {
            if (upstream is not null) await upstream.DeleteAsync();
            await host.DeleteAsync();
            throw;
        }
    }

    private async Task WireAsync()
    {
        // Both ends are created inside the namespaces: the veth never exists in the machine's own.
        await Host.IpAsync("link", "add", HostUplink, "type", "veth", "peer", "name", UpstreamLink, "netns", Upstream.Name);
        await Host.IpAsync("addr", "add", $"{HostUplinkIp}/24", "dev", HostUplink);
        await Host.IpAsync("link", "set", HostUplink, "up");
        await Upstream.IpAsync("addr", "add", $"{UpstreamIp}/24", "dev", UpstreamLink);
        await Upstream.IpAsync("link", "set", UpstreamLink, "up");
        await Host.IpAsync("route", "add", "default", "via", UpstreamIp, "dev", HostUplink);

        _server = Proc.Start("ip", Upstream.Exec("python3", "-u", "-m", "http.server", UpstreamPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--bind", UpstreamIp, "--directory", Www));
        for (var i = 0; ; i++)
        {
            if (await Host.TcpConnectsAsync(UpstreamIp, UpstreamPort, 2)) break;
            if (i > 40 || _server.HasExited)
                throw new InvalidOperationException($"the upstream HTTP server did not start: {string.Join('\n', _server.Stderr)}");
            await Task.Delay(250);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _server?.Dispose();
        await Host.DeleteAsync();
        await Upstream.DeleteAsync();
    }
}
