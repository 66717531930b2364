import KuraCore
