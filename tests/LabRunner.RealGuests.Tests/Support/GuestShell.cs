using System.Diagnostics;

namespace LabRunner.RealGuests.Tests.Support;

/// <summary>
/// SSH into guests from the lab host's namespace, as a user of the lab would: the project's key
/// (<c>.lab/id_ecdsa</c>), the Labfile's login user, no host-key bookkeeping.
/// </summary>
public sealed class GuestShell(Netns host, string keyPath, string user = "lab")
{
    private string[] SshArguments(string ip, string command, int connectTimeout, params string[] options) =>
    [
        "ssh", .. options, "-i", keyPath,
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
        "-o", "LogLevel=ERROR", "-o", $"ConnectTimeout={connectTimeout}", "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=6",
        $"{user}@{ip}", command,
    ];

    /// <summary>One attempt; exit 255 means ssh itself failed (no answer, refused, auth).</summary>
    public Task<ProcResult> TryAsync(string ip, string command, TimeSpan? timeout = null, int connectTimeout = 5) =>
        host.RunAsync(timeout ?? TimeSpan.FromMinutes(5), SshArguments(ip, command, connectTimeout));

    /// <summary>
    /// Runs a command; retries while ssh itself fails (exit 255) for up to a minute, because sshd restarts while
    /// cloud-init configures it. Fails the test unless the command exits 0.
    /// </summary>
    public async Task<string> RunAsync(string ip, string command, TimeSpan? timeout = null)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var result = await TryAsync(ip, command, timeout);
            if (result.Succeeded) return result.Stdout;
            if (result.ExitCode != 255 || watch.Elapsed > TimeSpan.FromMinutes(1))
                throw new Xunit.Sdk.XunitException($"ssh {user}@{ip} '{command}': {result}");
            await Task.Delay(2000);
        }
    }

    /// <summary>
    /// The guest's clock minus the host's, in seconds, and the error of that figure: <c>date</c> run over one
    /// established (multiplexed) SSH connection several times, the sample with the shortest round trip taken, the
    /// guest's reading set against the round trip's middle (so the error is half that round trip).
    /// </summary>
    public async Task<(double Offset, double Error)> ClockOffsetAsync(string ip, string controlDirectory, int samples = 5)
    {
        var control = Path.Combine(controlDirectory, $"cm-{ip}");
        string[] multiplexed = ["-o", "ControlMaster=auto", "-o", $"ControlPath={control}", "-o", "ControlPersist=30"];
        (double Offset, double Error) best = (0, double.MaxValue);
        await RunWithAsync(ip, "true", multiplexed); // opens the shared connection
        for (var i = 0; i < samples; i++)
        {
            var sent = DateTimeOffset.UtcNow;
            var guest = double.Parse((await RunWithAsync(ip, "date +%s.%N", multiplexed)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            var received = DateTimeOffset.UtcNow;
            var error = (received - sent).TotalSeconds / 2;
            if (error < best.Error) best = (guest - (sent.ToUnixTimeMilliseconds() + received.ToUnixTimeMilliseconds()) / 2000.0, error);
        }
        await host.RunAsync(TimeSpan.FromSeconds(30), ["ssh", "-o", $"ControlPath={control}", "-O", "exit", $"{user}@{ip}"]);
        return best;
    }

    private async Task<string> RunWithAsync(string ip, string command, string[] options)
    {
        var result = await host.RunAsync(TimeSpan.FromMinutes(2), SshArguments(ip, command, 5, options));
        return result.Succeeded ? result.Stdout : throw new Xunit.Sdk.XunitException($"ssh {user}@{ip} '{command}': {result}");
    }

    /// <summary>
    /// Waits until the guest at <paramref name="ip"/> accepts an SSH login, polling with back-off (2 s growing to 10 s).
    /// Returns how long that took; throws with the last error (and <paramref name="console"/>'s tail) on timeout.
    /// </summary>
    public async Task<TimeSpan> WaitForSshAsync(string ip, TimeSpan timeout, Func<string>? console = null)
    {
        var watch = Stopwatch.StartNew();
        var delay = TimeSpan.FromSeconds(2);
        ProcResult? last = null;
        while (watch.Elapsed < timeout)
        {
            last = await TryAsync(ip, "true", TimeSpan.FromSeconds(60));
            if (last.Succeeded) return watch.Elapsed;
            await Task.Delay(delay);
            delay = TimeSpan.FromSeconds(Math.Min(10, delay.TotalSeconds * 1.5));
        }
        throw new TimeoutException($"no SSH login at {user}@{ip} after {timeout.TotalSeconds:0} s; last attempt: {last}\n{console?.Invoke()}");
    }
}
