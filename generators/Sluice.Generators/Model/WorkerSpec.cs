namespace Sluice.Generators.Model;

/// <summary>A <c>[Worker]</c> class ready to emit.</summary>
internal sealed record WorkerSpec(
    TypeDeclarationSpec Type,
    string ConnectionFullyQualifiedName,
    EquatableArray<HandlerSpec> Handlers);

/// <summary>One <c>[Handler]</c> method and the command it handles.</summary>
internal sealed record HandlerSpec(
    string MethodName,
    bool IsStatic,
    bool IsAsync,
    bool Transactional,
    string CommandName,
    string CommandFullyQualifiedName,
    string ResultFullyQualifiedName,
    string ErrorFullyQualifiedName,
    EquatableArray<CommandParameterSpec> Parameters,
    bool IsPositional);

/// <summary>A positional parameter of a command record, mirrored on the client method.</summary>
internal sealed record CommandParameterSpec(string Name, string TypeFullyQualifiedName, string? DefaultValue);
