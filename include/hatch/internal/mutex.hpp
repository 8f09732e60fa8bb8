// Mutexes whose lock rules the compiler checks.
//
// Members that a mutex guards say so with HATCH_GUARDED_BY(mu_), and functions that expect it
// held with HATCH_REQUIRES(mu_). Clang's -Wthread-safety then proves, at every access, that
// the mutex is held; `make test` builds the runtime once with clang and -Werror, so a broken
// lock rule does not build. Other compilers see plain mutexes.
//
// libstdc++'s std::mutex carries no such annotations, hence these thin wrappers. A condition
// variable waits on a MutexLock through std::condition_variable_any; write the wait as a loop
// (`while (!ready_) cv_.wait(lock);`) so that the analysis sees the guarded reads under the
// lock, which it cannot see inside a predicate lambda.
#pragma once

#include <mutex>
#include <shared_mutex>

#if defined(__clang__)
#define HATCH_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define HATCH_THREAD_ANNOTATION(x)
#endif

#define HATCH_CAPABILITY(x) HATCH_THREAD_ANNOTATION(capability(x))
#define HATCH_SCOPED_CAPABILITY HATCH_THREAD_ANNOTATION(scoped_lockable)
#define HATCH_GUARDED_BY(x) HATCH_THREAD_ANNOTATION(guarded_by(x))
#define HATCH_REQUIRES(...) HATCH_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define HATCH_EXCLUDES(...) HATCH_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define HATCH_ACQUIRE(...) HATCH_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define HATCH_ACQUIRE_SHARED(...) HATCH_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define HATCH_RELEASE(...) HATCH_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define HATCH_RELEASE_SHARED(...) HATCH_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define HATCH_RELEASE_GENERIC(...) HATCH_THREAD_ANNOTATION(release_generic_capability(__VA_ARGS__))

namespace hatch {

class HATCH_CAPABILITY("mutex") Mutex {
 public:
  void lock() HATCH_ACQUIRE() { mu_.lock(); }
  void unlock() HATCH_RELEASE() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

// Holds a Mutex for its scope. Also BasicLockable, for std::condition_variable_any.
class HATCH_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) HATCH_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() HATCH_RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void lock() HATCH_ACQUIRE() { mu_.lock(); }
  void unlock() HATCH_RELEASE() { mu_.unlock(); }

 private:
  Mutex& mu_;
};

class HATCH_CAPABILITY("shared mutex") SharedMutex {
 public:
  void lock() HATCH_ACQUIRE() { mu_.lock(); }
  void unlock() HATCH_RELEASE() { mu_.unlock(); }
  void lock_shared() HATCH_ACQUIRE_SHARED() { mu_.lock_shared(); }
  void unlock_shared() HATCH_RELEASE_SHARED() { mu_.unlock_shared(); }

 private:
  std::shared_mutex mu_;
};

// Holds a SharedMutex exclusively for its scope.
class HATCH_SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex& mu) HATCH_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~WriterLock() HATCH_RELEASE() { mu_.unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex& mu_;
};

// Holds a SharedMutex shared for its scope.
class HATCH_SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex& mu) HATCH_ACQUIRE_SHARED(mu) : mu_(mu) { mu_.lock_shared(); }
  ~ReaderLock() HATCH_RELEASE_GENERIC() { mu_.unlock_shared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex& mu_;
};

}  // namespace hatch
