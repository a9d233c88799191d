using System;

namespace Sluice;

/// <summary>
/// Marks a partial class whose <c>[Handler]</c> methods run on a dedicated worker thread that owns its own connection.
/// The generator adds a dispatcher, a typed <c>Client</c> and dependency-injection registration.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class WorkerAttribute : Attribute
{
}

/// <summary>
/// Marks a worker method that handles one command. Signature:
/// <c>Result&lt;TResult, TError&gt; Handle(TCommand command, WorkerContext&lt;TConnection&gt; context)</c>
/// or the same returning <c>ValueTask&lt;Result&lt;TResult, TError&gt;&gt;</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class HandlerAttribute : Attribute
{
    /// <summary>
    /// Whether the worker wraps the handler in a transaction (default true): committed when the handler returns Ok,
    /// rolled back otherwise. Set false for statements that cannot run in a transaction (e.g. VACUUM).
    /// </summary>
    public bool Transactional { get; set; } = true;
}
