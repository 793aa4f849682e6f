# injector: targets are added here as the component grows.
