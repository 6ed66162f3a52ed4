using LabRunner.Core.Errors;

namespace LabRunner.Providers.Qemu.Qmp;

/// <summary>Something went wrong talking QMP.</summary>
public class QmpException : LabRunnerException
{
    public QmpException(string message) : base(ErrorCategory.HostFailure, message) { }

    public QmpException(string message, Exception inner) : base(ErrorCategory.HostFailure, message, inner) { }
}

/// <summary>QEMU answered a command with an error (<c>{"error": {"class": …, "desc": …}}</c>).</summary>
public sealed class QmpCommandException(string command, string errorClass, string description)
    : QmpException($"QMP command '{command}' failed: {errorClass}: {description}")
{
    public string Command { get; } = command;

    /// <summary>QEMU's error class, e.g. <c>GenericError</c>, <c>CommandNotFound</c>.</summary>
    public string ErrorClass { get; } = errorClass;

    public string Description { get; } = description;
}

/// <summary>The connection closed: for a QEMU process, that means it exited.</summary>
public sealed class QmpConnectionClosedException(string message, Exception? inner = null)
    : QmpException(message, inner ?? new EndOfStreamException());

/// <summary>The peer does not speak QMP as specified (no greeting, malformed message).</summary>
public sealed class QmpProtocolException(string message) : QmpException(message);

/// <summary>
/// The peer said nothing in time: no greeting, or no answer to a command. The socket may be QEMU's own monitor
/// of a process that hangs, or something that accepted and stays silent; either way QMP cannot be relied on.
/// </summary>
public sealed class QmpTimeoutException(string message, Exception? inner = null)
    : QmpException(message, inner ?? new TimeoutException(message));
