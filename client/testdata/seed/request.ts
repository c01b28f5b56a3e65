import { createSocket } from '/livetemplate.mjs';
import { createBus, createLeaderElector } from '/livetemplate.mjs';

const bus = createBus({ channel: 'app' });
const leader = createLeaderElector({ key: 'app-leader' });

let socket: ReturnType<typeof createSocket> | null = null;
const pendingRequests = new Map<
  string,
  {
    resolve: (value: any) => void;
    reject: (error: Error) => void;
    timeout: ReturnType<typeof setTimeout>;
  }
>();

leader.start();

// When becoming leader, connect WebSocket and register query handler
leader.on('acquire', () => {
  socket = createSocket({ url: 'wss://api.example.com/ws' });

  socket.onMessage((message) => {
    bus.publish('server-message', message);
  });

  // Handle query requests
  bus.subscribe('query-request', (msg) => {
    const { requestId, query } = msg.payload || {};
    if (!socket || !requestId) return;

    // Request via WebSocket
    socket.send({
      type: 'query',
      requestId,
      query,
    });
  });
});

// Handle server responses (all tabs)
bus.subscribe('server-message', (msg) => {
  const { requestId, result, error } = msg.payload || {};
  if (!requestId) return;

  const pending = pendingRequests.get(requestId);
  if (!pending) return;

  pendingRequests.delete(requestId);
  clearTimeout(pending.timeout);

  if (error) {
    pending.reject(new Error(error));
  } else {
    pending.resolve(result);
  }
});

// Follower tabs request server queries
function queryServer(query: string, timeout = 5000): Promise<any> {
  return new Promise((resolve, reject) => {
    const requestId = `req-${Date.now()}-${Math.random()}`;

    const timeoutId = setTimeout(() => {
      pendingRequests.delete(requestId);
      reject(new Error('Query timeout'));
    }, timeout);

    pendingRequests.set(requestId, { resolve, reject, timeout: timeoutId });

    bus.publish('query-request', { requestId, query });
  });
}

// Usage example
try {
  const result = await queryServer('SELECT * FROM users');
  console.log('Query result:', result);
} catch (error) {
  console.error('Query failed:', error);
}
