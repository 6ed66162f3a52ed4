using LabRunner.Core.Hosting;
using LabRunner.Providers.Qemu.Vms;

namespace LabRunner.Providers.Qemu.Capabilities;

/// <summary>
/// QEMU's serial console log, which it writes in the VM's folder (<see cref="VmEntry.ConsoleLog"/>): its last lines say
/// why a guest did not become ready. The registry says where the VM's folder is.
/// </summary>
public sealed class QemuConsoleLog(VmRegistry registry) : IConsoleLog
{
    /// <summary>At most this much of the end of a log is read: a console log can grow large.</summary>
    private const int MaxBytes = 64 * 1024;

    public IReadOnlyList<string> Tail(string hostVmName, int lines)
    {
        string path;
        try
        {
            if (registry.Find(hostVmName) is not { } entry) return [$"(no console log: the host has no VM '{hostVmName}')"];
            path = entry.ConsoleLog;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            return [$"(console log unreadable: {ex.Message})"];
        }
        if (!File.Exists(path)) return ["(no console log yet)"];
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length > MaxBytes) stream.Seek(-MaxBytes, SeekOrigin.End);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Replace("\r", "", StringComparison.Ordinal).Split('\n');
            // A guest's console may print anything: no control character reaches the terminal.
            return [.. all.Where(l => l.Length > 0).TakeLast(lines).Select(l => new string([.. l.Select(c => char.IsControl(c) && c != '\t' ? '?' : c)]))];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [$"(console log unreadable: {ex.Message})"];
        }
    }
}
