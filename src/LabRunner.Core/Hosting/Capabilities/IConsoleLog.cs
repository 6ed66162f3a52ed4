namespace LabRunner.Core.Hosting;

/// <summary>
/// A capability: the provider keeps each VM's serial console (QEMU: a log file beside the VM's disk), whose last
/// lines say why a guest did not become ready.
/// </summary>
public interface IConsoleLog
{
    /// <summary>
    /// The last <paramref name="lines"/> lines of the console of the VM named <paramref name="hostVmName"/> on the host,
    /// or a line saying why there are none (no log yet, unreadable); never throws for a missing or unreadable log.
    /// </summary>
    IReadOnlyList<string> Tail(string hostVmName, int lines);
}
