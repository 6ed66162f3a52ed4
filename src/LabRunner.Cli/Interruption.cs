using System.Runtime.InteropServices;

namespace LabRunner.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM cancel <see cref="Token"/> instead of ending the process, from the first instruction of
/// <c>Main</c>: a signal that came before a command's own handler was in place used to end <c>lab</c> with nothing
/// written (not even its --json document). The command then stops between operations, and <c>lab</c> ends with exit
/// code 130 and its one document.
/// </summary>
public sealed class Interruption : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration[] _registrations;

    private Interruption()
    {
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal)];
    }

    public CancellationToken Token => _cancel.Token;

    public static Interruption Register() => new();

    private void OnSignal(PosixSignalContext context)
    {
        // Keep the process: LabApp ends it once the command has stopped (or after LabApp.StopTimeout).
        context.Cancel = true;
        _cancel.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _cancel.Dispose();
    }
}
