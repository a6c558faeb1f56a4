"""``task=stream``: score an event stream (Redis Streams, or Kafka) with the serving runtime.

- :mod:`.events`: event, prediction and dead-letter records; input decoding by the bundle's input kind.
- :mod:`.broker`: what a broker adapter provides (read, atomic commit, lag).
- :mod:`.redis_broker`, :mod:`.kafka_broker`: the adapters (``stream=redis``, ``stream=kafka``).
- :mod:`.consumer`: the micro-batch loop; :mod:`.metrics`: its Prometheus series.
"""
